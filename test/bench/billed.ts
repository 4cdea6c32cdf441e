/**
 * What Lambda bills per function, measured on the bench's bundles run under AWS's runtime interface client
 * (test/helpers/lambda-runtime.ts): INIT as the runtime sees it, the first-use setup of the first
 * invocation, the peak resident memory after typical invocations against the simulator, and the cost per
 * million requests at the configured memory size.
 */
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { FUNCTIONS, type FunctionName } from '#shared/routes.ts';
import { startBundle } from '#test/helpers/lambda-runtime.ts';
import { restEvent } from '#test/helpers/rest-event.ts';
import { peakRssMb as processPeakRssMb, percentile, round } from './stats.ts';

/**
 * Lambda's arm64 price per GB-second and per million requests (first tier; eu-central-1 and us-east-1 list
 * the same), as published on the AWS Lambda pricing page since arm64's launch. This machine cannot reach
 * the page: re-check it before quoting costs.
 */
export const PRICE = { perGbSecond: 0.0000133334, perMillionRequests: 0.2, asOf: 'AWS Lambda pricing, arm64 first tier, 2024-2026' };

const CHAT = 'mistralai/Mistral-Small-24B-Instruct';

/** A typical invocation per function (none for the smoke test, which calls a deployed API). */
const TYPICAL: Partial<Record<FunctionName, unknown>> = {
  agent: restEvent('/', '/', 'POST', {
    headers: { 'x-model-id': CHAT },
    body: JSON.stringify({ messages: [{ type: 'human', content: 'Hello' }] }),
  }),
  'hub-proxy': restEvent('/v1/{proxy+}', '/v1/chat/completions', 'POST', {
    pathParameters: { proxy: 'chat/completions' },
    body: JSON.stringify({ model: CHAT, messages: [{ role: 'user', content: 'Hello' }] }),
  }),
  responses: restEvent('/v1/responses', '/v1/responses', 'POST', { body: JSON.stringify({ model: CHAT, input: 'Hello', store: false }) }),
  'studio-models': restEvent('/studio/models', '/studio/models', 'GET'),
  authorizer: {
    type: 'TOKEN',
    authorizationToken: 'Bearer bench-api-key-0123456789',
    methodArn: 'arn:aws:execute-api:eu-central-1:123456789012:abc/v1/GET/x',
  },
};

/** Billed figures of one function. */
export interface BilledFigures {
  name: FunctionName;
  memoryMb: number;
  initMsP50: number;
  /**
   * The first invocation's wall time over the median of the next ones: the first-use setup a cold start
   * adds to its first request (modules loaded on first use, the credential read, a first graph build, JIT).
   */
  firstUseMs: number | undefined;
  peakRssMb: number;
  /** Cost per million requests when each waits `seconds` on its upstream. */
  costPerMillion: (seconds: number) => number;
}

/** Measures every bundle: `runs` cold starts each, then `invocations` typical invocations on the last. */
export async function measureBilled(
  bundleDirs: Map<FunctionName, string>,
  sim: Simulator,
  runs: number,
  invocations: number,
): Promise<BilledFigures[]> {
  const env = {
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    STUDIO_MODELS: '{}',
    IONOS_HUB_BASE_URL: sim.hubBaseUrl,
    IONOS_STUDIO_BASE_URL: sim.studioBaseUrl,
    IONOS_API_TOKEN: [...sim.hubTokens][0] ?? '',
  };
  const figures: BilledFigures[] = [];
  for (const [name, dir] of bundleDirs) {
    const inits: number[] = [];
    const firstUse: number[] = [];
    let peakRssMb = 0;
    for (let i = 0; i < runs; i++) {
      const bundle = await startBundle(dir, env);
      inits.push(bundle.initMs);
      const typical = TYPICAL[name];
      if (typical !== undefined) {
        const durations: number[] = [];
        // Every run pays its first invocation; the last run goes on to typical traffic for the peak memory.
        for (let n = 0; n < (i === runs - 1 ? invocations : 11); n++) {
          const started = performance.now();
          await bundle.invoke(typical);
          durations.push(performance.now() - started);
        }
        firstUse.push((durations[0] as number) - percentile(durations.slice(1), 50));
      }
      peakRssMb = Math.max(peakRssMb, processPeakRssMb(bundle.pid));
      await bundle.stop();
    }
    const memoryMb = FUNCTIONS[name].memoryMb;
    figures.push({
      name,
      memoryMb,
      initMsP50: round(percentile(inits, 50)),
      firstUseMs: firstUse.length > 0 ? round(percentile(firstUse, 50)) : undefined,
      peakRssMb: round(peakRssMb, 1),
      costPerMillion: (seconds) => round((memoryMb / 1024) * seconds * 1e6 * PRICE.perGbSecond + PRICE.perMillionRequests, 2),
    });
  }
  return figures;
}

/**
 * INIT under the runtime interface client of a bundle and of its floor, started alternately so that drift on
 * a shared machine affects both alike. @returns both p50s and the median of the pairs' differences.
 */
export async function measureInitOverFloor(
  dir: string,
  floorDir: string,
  runs: number,
): Promise<{ ms: number; floorMs: number; overMs: number }> {
  const env = { POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true', STUDIO_MODELS: '{}' };
  const init = async (d: string) => {
    const bundle = await startBundle(d, env);
    await bundle.stop();
    return bundle.initMs;
  };
  const ours: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < runs; i++) {
    ours.push(await init(dir));
    floor.push(await init(floorDir));
  }
  return {
    ms: round(percentile(ours, 50)),
    floorMs: round(percentile(floor, 50)),
    overMs: round(
      percentile(
        ours.map((o, i) => o - (floor[i] as number)),
        50,
      ),
    ),
  };
}
