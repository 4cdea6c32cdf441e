/**
 * The load and soak suite, against `npm start` in its own process and the IONOS simulator, on loopback:
 * concurrent load on the proxy (plain and streaming) and the agent (the simulator answers at once, a fake
 * fast model), then in the same process a soak of proxied requests watching its resident memory once it
 * has levelled off, a clean exit afterwards
 * (nothing left holding the process), and a burst against IONOS's rate limit. `npm run load` runs it at
 * full size, test/integration/load.test.ts at a short size. Every loop is bounded in count and time.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { startSimulator, type Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { spawnApi, type SpawnedApi } from '#test/helpers/spawn-api.ts';
import { round } from '#test/bench/stats.ts';
import { runLoad, send, type Answer, type LoadRequest, type LoadResult } from './http-load.ts';

/** How much load. */
export interface LoadSizes {
  connections: number;
  /** Requests per load scenario. */
  requests: number;
  /** The most proxied requests to warm up with before the soak (it ends once memory levels off). */
  soakWarmup: number;
  soakRequests: number;
  burstClients: number;
  /** Upper bound for any one scenario. */
  maxSeconds: number;
}

export const FULL: LoadSizes = {
  connections: 64,
  requests: 6_400,
  soakWarmup: 20_000,
  soakRequests: 20_000,
  burstClients: 40,
  maxSeconds: 180,
};
export const SHORT: LoadSizes = {
  connections: 64,
  requests: 640,
  soakWarmup: 8_000,
  soakRequests: 1_500,
  burstClients: 30,
  maxSeconds: 60,
};

/** Resident memory growth allowed over the soak, after warm-up. */
export const MAX_RSS_GROWTH = 0.1;

const CHAT_MODEL = 'mistralai/Mistral-Small-24B-Instruct';
const chat = (extra: object = {}): LoadRequest => ({
  method: 'POST',
  path: '/v1/chat/completions',
  body: JSON.stringify({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'Hello' }], ...extra }),
});
const agentRequest: LoadRequest = {
  method: 'POST',
  path: '/',
  headers: { 'x-model-id': CHAT_MODEL },
  body: JSON.stringify({ messages: [{ type: 'human', content: 'Hello' }] }),
};

const whole = (a: Answer) => (a.status === 200 && a.body.includes('"choices"') ? undefined : `HTTP ${a.status}: ${a.body.slice(0, 200)}`);
const wholeStream = (a: Answer) =>
  a.status === 200 && a.body.endsWith('data: [DONE]\n\n') && !a.body.includes('{"error"')
    ? undefined
    : `HTTP ${a.status}: ${a.body.slice(-200)}`;
const agentAnswer = (a: Answer) =>
  a.status === 200 && a.body.includes('"type":"ai"') ? undefined : `HTTP ${a.status}: ${a.body.slice(0, 200)}`;

/** One scenario's figures. */
export interface ScenarioResult extends LoadResult {
  name: string;
}

/** What the suite found. */
export interface LoadReport {
  scenarios: ScenarioResult[];
  /** `warmup`: proxied requests before the soak until memory levelled off; `exitCode`: after Ctrl-C (0: nothing left open). */
  soak: {
    warmup: number;
    requests: number;
    errors: number;
    /** The first few errors, so a failed soak says what failed. */
    samples: string[];
    rssAfterWarmupMb: number;
    rssAfterSoakMb: number;
    growth: number;
    exitCode: number | null;
    /** Usage ledger entries the API could not write: during the load scenarios (cold), and during the soak. */
    ledgerFailures: { scenarios: number; soak: number };
  };
  burst: { clients: number; ok: number; limited: number; limitedWithRetryAfter: number; other: number; seconds: number };
}

/** Resident memory of a process in MB, from /proc (Linux). */
function rssMb(pid: number): number {
  const line =
    readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:')) ?? '';
  return Number(/(\d+)/.exec(line)?.[1] ?? Number.NaN) / 1024;
}

async function withApi<T>(sim: Simulator, use: (api: SpawnedApi) => Promise<T>): Promise<{ result: T; exitCode: number | null }> {
  const api = await spawnApi(sim, { POWERTOOLS_LOG_LEVEL: 'ERROR' });
  let result: T;
  try {
    result = await use(api);
  } catch (err) {
    await api.stop();
    throw err;
  }
  return { result, exitCode: await api.stop() };
}

/**
 * Until resident memory levels off (under 1% growth over 1,000 requests, three times in a row), at most `max`
 * requests. The heap grows in steps to its size under this load (the usage table's SDK client and the
 * writes in flight raised it), and two quiet windows were seen between two steps on a slow run.
 */
async function warmUp(api: SpawnedApi, run: (requests: number) => Promise<LoadResult>, max: number): Promise<number> {
  let done = 0;
  let steady = 0;
  let rss = rssMb(api.pid);
  while (done < max && steady < 3) {
    done += (await run(Math.min(1_000, max - done))).requests;
    const now = rssMb(api.pid);
    steady = (now - rss) / rss < 0.01 ? steady + 1 : 0;
    rss = now;
  }
  return done;
}

/**
 * Concurrent load on each scenario, then the soak in the same process (the scenarios and a warm-up until
 * memory levels off come first, so the soak sees steady state, not the heap's first growth), then Ctrl-C:
 * the process must exit by itself.
 */
async function loadAndSoak(sim: Simulator, sizes: LoadSizes): Promise<Pick<LoadReport, 'scenarios' | 'soak'>> {
  const { result, exitCode } = await withApi(sim, async (api) => {
    const base = { base: api.url, connections: sizes.connections, maxSeconds: sizes.maxSeconds };
    const scenarios: ScenarioResult[] = [];
    for (const [name, request, check] of [
      ['proxy chat completion', chat(), whole],
      ['proxy chat completion, streamed', chat({ stream: true }), wholeStream],
      ['agent, one model call', agentRequest, agentAnswer],
    ] as const) {
      scenarios.push({ name, ...(await runLoad({ ...base, request, check, requests: sizes.requests })) });
    }
    const ledgerFailures = () => (api.output().match(/usage ledger write failed/g) ?? []).length;
    const afterScenarios = ledgerFailures();
    const proxied = (requests: number) => runLoad({ ...base, request: chat(), check: whole, requests });
    const warmup = await warmUp(api, proxied, sizes.soakWarmup);
    const before = rssMb(api.pid);
    const atSoak = ledgerFailures();
    const run = await proxied(sizes.soakRequests);
    await new Promise((resolve) => setTimeout(resolve, 3_500)); // the last entries' writes may take up to 3 s
    const failed = { scenarios: afterScenarios, soak: ledgerFailures() - atSoak };
    return { scenarios, warmup, run, before, after: rssMb(api.pid), failed };
  });
  const { scenarios, warmup, run, before, after, failed } = result;
  return {
    scenarios,
    soak: {
      warmup,
      requests: run.requests,
      errors: run.errors,
      samples: run.samples,
      rssAfterWarmupMb: round(before, 1),
      rssAfterSoakMb: round(after, 1),
      growth: round((after - before) / before, 3),
      exitCode,
      ledgerFailures: failed,
    },
  };
}

/** `clients` requests at once against IONOS's default limit (5 req/s, burst 10). */
async function burst(clients: number): Promise<LoadReport['burst']> {
  const sim = await startSimulator({ rateLimit: { rps: 5, burst: 10 } });
  try {
    const { result } = await withApi(sim, async (api) => {
      const agent = new Agent({ keepAlive: true, maxSockets: clients });
      // Warm the connections first: the limiter must see the burst, not the connection setup.
      await Promise.all(Array.from({ length: clients }, () => send(agent, api.url, { method: 'GET', path: '/studio/models' })));
      const t0 = performance.now();
      const answers = await Promise.all(Array.from({ length: clients }, () => send(agent, api.url, chat())));
      const seconds = (performance.now() - t0) / 1000;
      agent.destroy();
      return { answers, seconds };
    });
    const { answers, seconds } = result;
    const limited = answers.filter((a) => a.status === 429);
    return {
      clients,
      ok: answers.filter((a) => a.status === 200).length,
      limited: limited.length,
      limitedWithRetryAfter: limited.filter((a) => Number(a.headers['retry-after']) > 0).length,
      other: answers.filter((a) => a.status !== 200 && a.status !== 429).length,
      seconds: round(seconds, 2),
    };
  } finally {
    await sim.close();
  }
}

/** Runs the whole suite. */
export async function runLoadSuite(sizes: LoadSizes): Promise<LoadReport> {
  const sim = await startSimulator({ rateLimit: { rps: 0, burst: 0 } });
  try {
    return { ...(await loadAndSoak(sim, sizes)), burst: await burst(sizes.burstClients) };
  } finally {
    await sim.close();
  }
}

/** The report as lines of text. */
export function formatReport(report: LoadReport, sizes: LoadSizes): string[] {
  const lines = report.scenarios.map(
    (s) =>
      `${s.name.padEnd(34)} ${String(s.requests).padStart(6)} requests at ${sizes.connections} connections  ${String(s.rps).padStart(6)} req/s  p50 ${s.p50Ms} ms  p99 ${s.p99Ms} ms  errors ${s.errors}${s.samples.length ? ` (${s.samples[0]})` : ''}`,
  );
  const { soak, burst: b } = report;
  lines.push(
    `soak: ${soak.requests} proxied requests, ${soak.errors} errors; RSS ${soak.rssAfterWarmupMb} MB after warm-up (${soak.warmup} requests) → ${soak.rssAfterSoakMb} MB (${round(soak.growth * 100, 1)}%, limit ${MAX_RSS_GROWTH * 100}%); exit code after closing: ${soak.exitCode}; usage ledger writes failed: ${soak.ledgerFailures.scenarios} under the cold load scenarios, ${soak.ledgerFailures.soak} in the soak`,
  );
  lines.push(
    `rate-limit burst: ${b.clients} clients at once (${b.seconds} s) → ${b.ok} answered 200, ${b.limited} answered 429 (${b.limitedWithRetryAfter} with Retry-After), ${b.other} other`,
  );
  return lines;
}

/** The expectations, as failures (empty when all hold). */
export function failures(report: LoadReport): string[] {
  const out: string[] = [];
  for (const s of report.scenarios) if (s.errors > 0) out.push(`${s.name}: ${s.errors} errors, e.g. ${s.samples[0]}`);
  if (report.soak.errors > 0) out.push(`soak: ${report.soak.errors} errors, e.g. ${report.soak.samples.join('; ')}`);
  if (!(report.soak.growth < MAX_RSS_GROWTH))
    out.push(`soak: RSS grew ${round(report.soak.growth * 100, 1)}% (limit ${MAX_RSS_GROWTH * 100}%)`);
  if (report.soak.ledgerFailures.soak > 0) out.push(`soak: ${report.soak.ledgerFailures.soak} usage ledger entries not written`);
  if (report.soak.exitCode !== 0) out.push(`the API did not exit by itself after closing (exit code ${report.soak.exitCode})`);
  const b = report.burst;
  // The limiter admits its burst of 10 plus 5 per second while the burst lasts (a busy machine stretches it).
  const admitted = 10 + Math.ceil(b.seconds * 5);
  if (b.ok < 10 || b.ok > admitted) out.push(`burst: ${b.ok} succeeded in ${b.seconds} s, expected 10 to ${admitted}`);
  if (b.limited !== b.clients - b.ok || b.limitedWithRetryAfter !== b.limited)
    out.push(`burst: ${b.limited} limited (${b.limitedWithRetryAfter} with Retry-After), ${b.other} other answers`);
  return out;
}
