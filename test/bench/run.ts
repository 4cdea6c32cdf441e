/**
 * `npm run bench`: measures on loopback, prints one table, keeps it in docs/benchmarks.json and rewrites
 * the table in docs/benchmarks.md from it.
 * Every loop is bounded; nothing leaves this machine. Each figure stands beside its target where an issue
 * gives one, and a missed target is printed as MISSED.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { startSimulator } from '#infra/offline/ionos-simulator/server.ts';
import { measureAgentOverhead } from './agent.ts';
import { bundleAgentInitFloor, measureBeforeZodLocales, measureBundles, measureFloors } from './bundles.ts';
import { measureBilled, measureInitOverFloor, PRICE } from './billed.ts';
import { measureHandlerCost } from './handler-cost.ts';
import { measureAddedLatency, measureThroughput, startRawPipe } from './proxy.ts';
import { measureSaverFloor, measureThreadRuns } from './threads.ts';
import { measureUsageTable } from './usage-table.ts';
import { spawnApi } from '#test/helpers/spawn-api.ts';
import { peakRssMb, percentile, round, timeEach } from './stats.ts';
import { measureAgentStreamDelay, measureProxyStreamDelay, measureResponsesStreamDelay } from './stream-delay.ts';
import { measureBridgeLatency } from './responses.ts';
import { renderReport, RESULTS_FILE, type BenchResults, type Row } from './report.ts';
import { writeGeneratedDocs } from '#test/docs/generated.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2_000);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 10);
const STREAM_RUNS = Number(process.env.BENCH_STREAM_RUNS ?? 100);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 3);
const THROUGHPUT_ROUNDS = Number(process.env.BENCH_THROUGHPUT_ROUNDS ?? 5);

const rows: Row[] = [];
const add = (figure: string, value: number, unit: string, target?: number, atLeast?: number) =>
  rows.push({ figure, value, unit, target, atLeast });

// HTTP figures through `npm start` in its own process, against a simulator in fast mode. Without the usage
// table: its embedded store would share the two cores with the proxy; what the table adds has its own rows.
const sim = await startSimulator({ rateLimit: { rps: 0, burst: 0 } });
const api = await spawnApi(sim, {
  USAGE_TABLE: 'none',
  STUDIO_MODELS: JSON.stringify({ 'qwen-gdpr': '7b19cae7-0983-4a6b-a03c-a647db48f00b' }),
});
try {
  const get =
    (url: string, headers: Record<string, string> = {}) =>
    async () => {
      const res = await fetch(url, { headers });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`${url} answered ${res.status}`);
    };
  const direct = get(`${sim.url}/v1/models`, { authorization: `Bearer ${[...sim.hubTokens][0]}` });
  const local = get(`${api.url}/studio/models`);
  await timeEach(200, direct); // warm-up: JIT, keep-alive pools
  await timeEach(200, local);
  const directMs = await timeEach(REQUESTS, direct);
  const localMs = await timeEach(REQUESTS, local);
  add('simulator GET /v1/models p50 (reference)', round(percentile(directMs, 50), 3), 'ms');
  add('npm start GET /studio/models p50', round(percentile(localMs, 50), 3), 'ms');
  add('npm start GET /studio/models p99', round(percentile(localMs, 99), 3), 'ms');

  const stream = await measureAgentStreamDelay(sim, api.url, STREAM_RUNS);
  add(`agent stream token delay p50 (${stream.events} tokens)`, stream.p50, 'ms');
  add('agent stream token delay p99', stream.p99, 'ms', 5);

  const pipe = await startRawPipe(sim);
  try {
    const latency = await measureAddedLatency(sim, api.url, REQUESTS);
    const rawLatency = await measureAddedLatency(sim, pipe.url, REQUESTS);
    add('direct chat completion p50 (reference)', round(latency.directP50, 3), 'ms');
    add('proxied chat completion p50', round(latency.proxiedP50, 3), 'ms');
    add('raw node:http pipe added latency p50 (reference)', round(rawLatency.proxiedP50 - rawLatency.directP50, 3), 'ms');
    add('raw node:http pipe added latency p99 (reference)', round(rawLatency.proxiedP99 - rawLatency.directP99, 3), 'ms');
    add('proxy added latency p50', round(latency.proxiedP50 - latency.directP50, 3), 'ms', 0.8);
    // npm start emulates API Gateway (events, the streaming prelude), which in AWS is API Gateway's work, not
    // the function's: compared with a raw pipe these are references; what is billed is measured below.
    add('proxy added latency p99 (reference)', round(latency.proxiedP99 - latency.directP99, 3), 'ms');

    const proxyStream = await measureProxyStreamDelay(sim, api.url, STREAM_RUNS);
    add(`proxy stream chunk delay p50 (${proxyStream.events} chunks)`, proxyStream.p50, 'ms', 2);
    add('proxy stream chunk delay p99', proxyStream.p99, 'ms', 5);

    const bridge = await measureBridgeLatency(api.url, REQUESTS);
    add('Responses bridge added latency p50 (over the plain proxy)', bridge.p50, 'ms', 1);
    add('Responses bridge added latency p99 (reference)', bridge.p99, 'ms');
    const bridgeStream = await measureResponsesStreamDelay(sim, api.url, STREAM_RUNS);
    add(`Responses bridge stream event delay p50 (${bridgeStream.events} deltas)`, bridgeStream.p50, 'ms');
    add('Responses bridge stream event delay p99', bridgeStream.p99, 'ms', 5);

    for (const connections of [1, 16]) {
      const ours = await measureThroughput(api.url, api.pid, connections, LOAD_SECONDS);
      const raw = await measureThroughput(pipe.url, pipe.pid, connections, LOAD_SECONDS);
      add(`raw node:http pipe req/s at ${connections} (reference; ${raw.errors} errors)`, raw.rps, 'req/s');
      add(`proxy req/s at ${connections} (${ours.errors} errors)`, ours.rps, 'req/s');
    }
    // Issue #18: npm start's throughput at 64 connections stays at least 45% of the raw pipe's. One run of a
    // few seconds moved by ±10 points between runs of the same code (a GC or a neighbour's burst on this
    // shared host lands in one side), so the share is the median of interleaved rounds, as the handler's CPU is.
    type Throughput = Awaited<ReturnType<typeof measureThroughput>>;
    const rounds: { ours: Throughput; raw: Throughput }[] = [];
    for (let r = 0; r < THROUGHPUT_ROUNDS; r++) {
      const ours = await measureThroughput(api.url, api.pid, 64, LOAD_SECONDS);
      rounds.push({ ours, raw: await measureThroughput(pipe.url, pipe.pid, 64, LOAD_SECONDS) });
    }
    const median = (pick: (r: (typeof rounds)[number]) => number) => round(percentile(rounds.map(pick), 50), 3);
    const errors = (side: 'ours' | 'raw') => rounds.reduce((sum, r) => sum + r[side].errors, 0);
    add(
      `raw node:http pipe req/s at 64, median of ${THROUGHPUT_ROUNDS} rounds (reference; ${errors('raw')} errors)`,
      median((r) => r.raw.rps),
      'req/s',
    );
    add(
      `proxy req/s at 64, median of ${THROUGHPUT_ROUNDS} rounds (${errors('ours')} errors)`,
      median((r) => r.ours.rps),
      'req/s',
    );
    add(
      `proxy req/s at 64 as % of raw pipe (median of rounds; each ${rounds.map((r) => Math.round((100 * r.ours.rps) / r.raw.rps)).join(', ')})`,
      round(
        median((r) => (100 * r.ours.rps) / r.raw.rps),
        1,
      ),
      '%',
      undefined,
      45,
    );
    add(
      'raw pipe CPU per request at 64 (reference)',
      median((r) => r.raw.cpuMsPerRequest),
      'ms',
    );
    add(
      'proxy (npm start) CPU per request at 64',
      median((r) => r.ours.cpuMsPerRequest),
      'ms',
    );
    add('peak RSS of the npm start process', round(peakRssMb(api.pid), 1), 'MB');
  } finally {
    pipe.stop();
  }

  const usage = await measureUsageTable(sim, REQUESTS, LOAD_SECONDS);
  // Issue #12's ≤ 2 ms is settled by #18 as store calls on the request's path, counted below (machine-independent);
  // the milliseconds are what those calls cost against dynalite here.
  add('usage table added latency p50, consumer without budgets (ledger, limiter) (reference)', usage.unbudgeted.p50, 'ms');
  add('usage table added latency p50, consumer with 3 budgets (reference)', usage.budgeted.p50, 'ms');
  add('usage table added latency p99, with 3 budgets (reference)', usage.budgeted.p99, 'ms');
  add('one SDK UpdateItem round trip to the embedded store p50 (reference)', usage.roundTripP50, 'ms');
  add('  its CPU in the calling process (the SDK: signing, (de)serialising), per call', usage.sdkCpuMsPerCall, 'ms');
  add('proxy req/s at 64 without the usage table (reference)', usage.rpsWithout, 'req/s');
  add('proxy req/s at 64 with it, store on the same 2 cores (reference)', usage.rpsWith, 'req/s');
  // The reservation is the budget check: 1 store call before the Hub call without budgets (the limiter), 2
  // with (reservation, limiter); after it, 2 ledger writes and the settlement.
  add(
    'DynamoDB calls per proxied chat completion (consumer without budgets)',
    usage.unbudgetedCalls.total,
    `calls (${usage.unbudgetedCalls.byOperation})`,
    3,
  );
  add(
    'DynamoDB calls per proxied chat completion (consumer with 3 budgets)',
    usage.proxyCalls.total,
    `calls (${usage.proxyCalls.byOperation})`,
    5,
  );
  add('DynamoDB calls per agent run, one model call (same consumer)', usage.agentCalls.total, `calls (${usage.agentCalls.byOperation})`, 5);

  // What Lambda bills per request: the handler's CPU, in-process, next to a bare handler doing the minimum.
  const threads = await measureThreadRuns(sim, Math.round(REQUESTS / 10));
  add('thread run added latency p50 (runs/wait on a thread over the same POST / run)', threads.added.p50, 'ms', 10);
  add('thread run added latency p99 (reference)', threads.added.p99, 'ms');
  add('stateless run (/runs/wait) added latency p50 over POST / (reference)', threads.statelessAddedP50, 'ms');
  add(
    "  floor: LangGraph's checkpointing in process, MemorySaver over no saver, p50 (reference)",
    await measureSaverFloor(Math.round(REQUESTS / 10)),
    'ms',
  );
  add("DynamoDB calls of a thread's first turn (one model call)", threads.firstTurn.total, `calls (${threads.firstTurn.byOperation})`);
  add('DynamoDB calls of a later turn (the state read back first)', threads.laterTurn.total, `calls (${threads.laterTurn.byOperation})`);

  const cost = await measureHandlerCost(sim, REQUESTS);
  add('proxy handler CPU per request, in-process (billed)', cost.ours.cpuMs, 'ms');
  add('bare reference handler CPU per request', cost.bare.cpuMs, 'ms');
  add('proxy handler CPU as a multiple of the bare handler (median of rounds) (reference)', cost.ratio, 'x');
  // The floor under that multiple: the bare handler plus only the log line and EMF metrics every request
  // must write, in the stack's own libraries (middy streaming mode, Powertools Logger and Metrics).
  add('  bare handler + middy, one Powertools log line and EMF record, as a multiple (reference)', cost.observedRatio, 'x');
  // Issue #18 (settling #11's 1.3× of the bare handler): our CPU over that observability floor.
  add('proxy handler CPU over the observability floor (median of rounds)', cost.overFloorRatio, 'x', 1.15);
  // Where the gap is: the same handler without its per-request log line and EMF metrics (Powertools).
  const quiet = await measureHandlerCost(sim, REQUESTS, { POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_METRICS_DISABLED: 'true' });
  add('  the same without its log line and metrics (reference)', quiet.ratio, 'x');
} finally {
  await api.stop();
  await sim.close();
}

const overhead = await measureAgentOverhead(REQUESTS / 4);
add('agent overhead, one tool call, p50', overhead.p50, 'ms', 3);
add('agent overhead, one tool call, p99', overhead.p99, 'ms');

const bundles = await measureBundles(COLD_RUNS);
const graphBuild = Number(execFileSync(process.execPath, [new URL('./graph-build-probe.ts', import.meta.url).pathname]).toString());
for (const b of bundles) {
  add(`${b.name} bundle (minified)`, b.bundleKb, 'KB', { agent: 2_500, 'hub-proxy': 150 }[b.name as string]);
  // #11's cold-import targets (proxy 25 ms, agent cold init 75 ms) are settled by #18 as INIT under the
  // runtime plus first-use setup, measured below; the imports stay as references.
  add(`${b.name} cold import p50 (reference)`, b.coldImportMsP50, 'ms');
}
for (const floor of await measureFloors(COLD_RUNS)) add(`  cold import p50 of ${floor.part} (reference)`, floor.coldImportMsP50, 'ms');
// Issue #18: the floor lowered by leaving out what no run calls (zod's locales but English: infra/bundling/bundle.ts).
const before = await measureBeforeZodLocales(COLD_RUNS);
add('  the same LangGraph floor with every zod locale, as before (reference)', before.floorColdImportMsP50, 'ms');
add('agent bundle with every zod locale, as before (reference)', before.agentKb, 'KB');
add('agent cold import p50 with every zod locale, as before (reference)', before.agentColdImportMsP50, 'ms');
const agent = bundles.find((b) => b.name === 'agent');
if (agent !== undefined) {
  add('agent first graph build (fresh process)', round(graphBuild), 'ms');
  add('agent cold init (import + graph build) (reference)', round(agent.coldImportMsP50 + graphBuild), 'ms');
}
// Billed per function: INIT under AWS's runtime interface client, peak memory, cost at the configured size.
const billingSim = await startSimulator({ rateLimit: { rps: 0, burst: 0 } });
try {
  const initRuns = Math.max(3, Math.round(COLD_RUNS / 2));
  const billed = await measureBilled(new Map(bundles.map((b) => [b.name, b.dir])), billingSim, initRuns, 200);
  for (const b of billed) {
    add(`${b.name} INIT under the Lambda runtime client p50`, b.initMsP50, 'ms');
    if (b.name === 'agent') {
      // Issue #18: the agent's INIT at most 40 ms over a handler importing only what it requires, under the same runtime.
      const init = await measureInitOverFloor(agent?.dir as string, await bundleAgentInitFloor(), 2 * initRuns);
      add('agent INIT over a handler importing only StateGraph, ToolNode, ChatOpenAI (median of interleaved pairs)', init.overMs, 'ms', 40);
      add(`  floor: that handler's INIT p50 in the same pairs (reference; the agent's: ${init.ms} ms)`, init.floorMs, 'ms');
    }
    if (b.firstUseMs !== undefined) {
      const target = b.name === 'hub-proxy' ? 20 : undefined; // issue #18
      add(`${b.name} first-use setup (first invocation over a warm one) p50`, b.firstUseMs, 'ms', target);
    }
    add(`${b.name} peak RSS (configured ${b.memoryMb} MB)`, b.peakRssMb, 'MB');
    add(`${b.name} cost per million requests at 1 s / 10 s upstream`, b.costPerMillion(1), `$ / ${b.costPerMillion(10)} $`);
  }
} finally {
  await billingSim.close();
}
add('peak RSS of the bench process (simulator, clients, bundling)', round(process.resourceUsage().maxRSS / 1024, 1), 'MB');

const results: BenchResults = {
  date: new Date().toISOString(),
  machine: `${cpus().length} cores, Node ${process.version}`,
  requests: REQUESTS,
  price: PRICE,
  rows,
};
console.log(renderReport(results));
writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
writeGeneratedDocs();
console.log('docs/benchmarks.json and docs/benchmarks.md: updated');
