/**
 * `npm run bench`: measures on loopback, prints one table and writes test/bench/results.json.
 * Every loop is bounded; nothing leaves this machine. Targets are listed beside figures where an issue
 * gives one; a missed target is printed as missed.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { startLocalApi } from '#infra/local/server.ts';
import { startSimulator } from '#infra/local/simulator/server.ts';
import { measureBundles } from './bundles.ts';
import { percentile, round, timeEach } from './stats.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2_000);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 10);

interface Row {
  figure: string;
  value: number;
  unit: string;
  target?: { max: number };
}

const rows: Row[] = [];
const add = (figure: string, value: number, unit: string, target?: { max: number }) => rows.push({ figure, value, unit, target });

const sim = await startSimulator({ rateLimit: { rps: 0, burst: 0 } });
process.env.STUDIO_MODELS = JSON.stringify({ 'qwen-gdpr': '7b19cae7-0983-4a6b-a03c-a647db48f00b' });
const api = await startLocalApi({ port: 0 });
try {
  const get = (url: string, headers: Record<string, string> = {}) => async () => {
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  };
  const direct = get(`${sim.url}/v1/models`, { authorization: 'Bearer sim-ionos-token' });
  const local = get(`${api.url}/studio/models`);
  await timeEach(200, direct); // warm-up: JIT, keep-alive pools
  await timeEach(200, local);
  const directMs = await timeEach(REQUESTS, direct);
  const localMs = await timeEach(REQUESTS, local);
  add('simulator GET /v1/models p50 (reference)', round(percentile(directMs, 50), 3), 'ms');
  add('simulator GET /v1/models p99 (reference)', round(percentile(directMs, 99), 3), 'ms');
  add('local API GET /studio/models p50', round(percentile(localMs, 50), 3), 'ms');
  add('local API GET /studio/models p99', round(percentile(localMs, 99), 3), 'ms');
  add('local API GET /studio/models sequential', round(1000 / (localMs.reduce((a, b) => a + b, 0) / localMs.length), 0), 'req/s');
} finally {
  await api.close();
  await sim.close();
}

for (const b of await measureBundles(COLD_RUNS)) {
  add(`${b.name} bundle (minified)`, b.bundleKb, 'KB');
  add(`${b.name} cold import p50`, b.coldImportMsP50, 'ms');
}
add('peak RSS of the bench process', round(process.resourceUsage().maxRSS / 1024, 1), 'MB');

const machine = `${cpus().length} cores, Node ${process.version}`;
console.log(`bench ${new Date().toISOString().slice(0, 10)} on ${machine}, ${REQUESTS} sequential keep-alive requests per figure`);
const width = Math.max(...rows.map((r) => r.figure.length));
for (const r of rows) {
  const verdict = r.target === undefined ? '' : r.value <= r.target.max ? `  target <= ${r.target.max}: met` : `  target <= ${r.target.max}: MISSED`;
  console.log(`${r.figure.padEnd(width)}  ${String(r.value).padStart(9)} ${r.unit}${verdict}`);
}
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify({ date: new Date().toISOString(), machine, requests: REQUESTS, rows }, null, 2)}\n`);
