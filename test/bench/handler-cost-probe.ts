// Run in a fresh process by the bench, stdout discarded (logs and EMF lines go nowhere, as they go to
// CloudWatch in Lambda): the CPU per request of the proxy handler invoked in-process as the Lambda runtime
// invokes it (an API Gateway REST event, a response stream), next to a bare reference handler that does the
// minimum (read the body, one upstream request, stream the answer back). Prints JSON on stderr.
// Usage: node test/bench/handler-cost-probe.ts <hub base url> <token> <requests>
import { Agent, request, type IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse';
import { installAwsLambdaShim } from '#infra/offline/api-gateway/awslambda-shim.ts';
import { restEvent } from '#test/helpers/rest-event.ts';
import { percentile, round } from './stats.ts';

const [hubBaseUrl = '', token = '', count = '2000'] = process.argv.slice(2);
const N = Number(count);
Object.assign(process.env, {
  IONOS_HUB_BASE_URL: hubBaseUrl,
  IONOS_API_TOKEN: token,
  POWERTOOLS_SERVICE_NAME: 'hub-proxy',
  STUDIO_MODELS: '{}',
});
installAwsLambdaShim();

/** A response stream that discards what it is given, as the runtime's does once it has sent it on. */
class Sink extends Writable {
  setContentType(): void {}
  override _write(_chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    callback();
  }
}

const event = restEvent('/v1/{proxy+}', '/v1/chat/completions', 'POST', {
  headers: { 'content-type': 'application/json' },
  pathParameters: { proxy: 'chat/completions' },
  body: JSON.stringify({ model: 'mistralai/Mistral-Small-24B-Instruct', messages: [{ role: 'user', content: 'Hello' }] }),
});
const context = { awsRequestId: 'bench', functionName: 'hub-proxy', getRemainingTimeInMillis: () => 300_000 };

type Handler = (event: unknown, stream: Sink, context: unknown) => Promise<unknown>;
const { handler } = (await import('#functions/hub-proxy.ts')) as unknown as { handler: Handler };

// The minimum a proxy handler must do, on the same keep-alive transport kind.
const agent = new Agent({ keepAlive: true });
const upstream = (body: string) =>
  new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(
      `${hubBaseUrl}/v1/chat/completions`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } },
      resolve,
    );
    req.on('error', reject).end(body);
  });
const bare: Handler = async (e, stream) => {
  const answer = await upstream((e as { body: string }).body);
  const out = awslambda.HttpResponseStream.from(stream as never, {
    statusCode: answer.statusCode,
    headers: { 'content-type': answer.headers['content-type'] },
  });
  await pipeline(answer, out as unknown as Writable);
};

// The bare handler plus only what the stack requires of every request (issue #4: one log line with request
// id, route, model, status and latency; request metrics in EMF), in the stack's libraries: middy in
// streaming mode, Powertools Logger with the Lambda context, Powertools Metrics. Nothing of ours.
const logger = new Logger();
const metrics = new Metrics({ namespace: 'Bench' });
const observed: Handler = middy<{ body: string }, unknown, Error, Context>({ executionMode: executionModeStreamifyResponse })
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (e, context) => {
    const started = performance.now();
    const answer = await upstream(e.body);
    const latencyMs = Math.round(performance.now() - started);
    metrics.addDimensions({ route: '/v1/chat/completions', model: 'bench', statusClass: '2xx' });
    metrics.addMetric('Requests', MetricUnit.Count, 1);
    metrics.addMetric('UpstreamLatency', MetricUnit.Milliseconds, latencyMs);
    metrics.publishStoredMetrics();
    logger.info('proxied', { route: '/v1/chat/completions', status: 200, latencyMs, requestId: context.awsRequestId });
    return { statusCode: answer.statusCode, headers: { 'content-type': answer.headers['content-type'] }, body: answer };
  }) as unknown as Handler;

interface Cost {
  cpuMs: number;
  p50: number;
}

async function measure(h: Handler, n: number): Promise<Cost> {
  const once = async () => {
    const sink = new Sink();
    await h(event, sink, context);
  };
  for (let i = 0; i < 50; i++) await once(); // this round's caches and connections
  const wall: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await once();
    wall.push(performance.now() - t);
  }
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000 / n, p50: percentile(wall, 50) };
}

// Interleaved rounds, so drift on a shared machine affects both alike; each round's ratio compares
// neighbours, and the medians stand for the run.
const ROUNDS = 7;
for (const h of [bare, observed, handler]) await measure(h, 1000); // warm up: JIT tiers settle before anything counts
const ours: Cost[] = [];
const reference: Cost[] = [];
const floor: Cost[] = [];
const ratios: number[] = [];
const floorRatios: number[] = [];
const overFloor: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  reference.push(await measure(bare, Math.ceil(N / 2)));
  floor.push(await measure(observed, Math.ceil(N / 2)));
  ours.push(await measure(handler, Math.ceil(N / 2)));
  ratios.push((ours.at(-1) as Cost).cpuMs / (reference.at(-1) as Cost).cpuMs);
  floorRatios.push((floor.at(-1) as Cost).cpuMs / (reference.at(-1) as Cost).cpuMs);
  overFloor.push((ours.at(-1) as Cost).cpuMs / (floor.at(-1) as Cost).cpuMs);
}
const median = (xs: number[]) => percentile(xs, 50);
const summary = (xs: Cost[]) => ({ cpuMs: round(median(xs.map((x) => x.cpuMs)), 4), p50: round(median(xs.map((x) => x.p50)), 3) });
process.stderr.write(
  `${JSON.stringify({
    ours: summary(ours),
    bare: summary(reference),
    ratio: round(median(ratios), 2),
    observed: summary(floor),
    observedRatio: round(median(floorRatios), 2),
    overFloorRatio: round(median(overFloor), 2),
  })}\n`,
);
agent.destroy();
process.exit(0);
