/**
 * What the usage table (ledger, budgets, contract limiter) adds to a proxied request, through npm start
 * against its embedded DynamoDB-compatible store: p50/p99 latency next to the same API without a table
 * (`USAGE_TABLE=none`), for a consumer without budgets and one with all three, called in interleaved
 * rounds; one SDK round trip to the store as the reference; and the DynamoDB calls per request, counted by
 * a pass-through between the API and the store, for the proxy and for an agent run with one model call.
 */
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EMBEDDED_AWS_ENV, startEmbeddedDynamo } from '#infra/offline/dynamodb.ts';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { spawnApi, type SpawnedApi } from '#test/helpers/spawn-api.ts';
import { runLoad, send, type LoadRequest } from '#test/load/http-load.ts';
import { percentile, round } from './stats.ts';

const KEY = 'benchKey0123456789abcdefXYZ';
const CHAT = JSON.stringify({ model: 'mistralai/Mistral-Small-24B-Instruct', messages: [{ role: 'user', content: 'Hello' }] });
const PROXIED: LoadRequest = { method: 'POST', path: '/v1/chat/completions', body: CHAT, headers: { authorization: `Bearer ${KEY}` } };
const AGENT: LoadRequest = {
  method: 'POST',
  path: '/',
  body: JSON.stringify({ messages: [{ type: 'human', content: 'Hello' }] }),
  headers: { authorization: `Bearer ${KEY}`, 'x-model-id': 'mistralai/Mistral-Small-24B-Instruct' },
};
/** A consumer with all three budgets and a contract that is held but never runs out: every part at work. */
const WITH_TABLE = {
  LOCAL_API_KEYS: `bench:${KEY}`,
  LOCAL_BUDGETS: JSON.stringify({ bench: { tokensPerMinute: 1e12, tokensPerDay: 1e12, tokensPerMonth: 1e12 } }),
  IONOS_REQUESTS_PER_SECOND: '10000',
  IONOS_REQUESTS_BURST: '100000',
  ...EMBEDDED_AWS_ENV,
};

/** Counts DynamoDB calls by operation (`X-Amz-Target`) on their way to the store. */
export async function countingPassThrough(store: string): Promise<{ url: string; counts: Map<string, number>; close(): void }> {
  const counts = new Map<string, number>();
  const target = new URL(store);
  const agent = new Agent({ keepAlive: true });
  const server = createServer((req, res) => {
    const op = String(req.headers['x-amz-target'] ?? 'unknown')
      .split('.')
      .pop() as string;
    counts.set(op, (counts.get(op) ?? 0) + 1);
    const out = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers, agent },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    close: () => {
      server.close();
      server.closeAllConnections();
      agent.destroy();
    },
  };
}

/** The figures. */
export interface UsageTableCost {
  /** Added p50/p99 for a consumer without budgets (ledger + contract limiter) and with all three budgets. */
  unbudgeted: { p50: number; p99: number };
  budgeted: { p50: number; p99: number };
  /** One UpdateItem round trip from the AWS SDK to the embedded store, p50 (what any check before a request costs at least). */
  roundTripP50: number;
  /** CPU the AWS SDK spends in the calling process per call. */
  sdkCpuMsPerCall: number;
  /** Proxy req/s at 64 connections without the table and with it (all parts at work). */
  rpsWithout: number;
  rpsWith: number;
  /** Calls per request, in total and by operation (`UpdateItem 5`), for a consumer with 3 budgets. */
  proxyCalls: { total: number; byOperation: string };
  agentCalls: { total: number; byOperation: string };
  /** The same for a consumer without budgets (no reservation, no settlement). */
  unbudgetedCalls: { total: number; byOperation: string };
}

export const perRequest = (counts: Map<string, number>, n: number) => ({
  total: round([...counts.values()].reduce((sum, c) => sum + c, 0) / n, 1),
  byOperation: [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, c]) => `${op} ${round(c / n, 1)}`)
    .join(', '),
});

/** p50 of sequential UpdateItem round trips from the AWS SDK to the store, and the SDK's CPU per call. */
async function roundTrip(store: { endpoint: string; tableName: string }, count: number): Promise<{ p50: number; cpuMs: number }> {
  const { DynamoDBClient, UpdateItemCommand } = await import('@aws-sdk/client-dynamodb');
  const db = new DynamoDBClient({
    endpoint: store.endpoint,
    region: EMBEDDED_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });
  const times: number[] = [];
  let cpu = process.cpuUsage();
  for (let i = 0; i < count + 100; i++) {
    if (i === 100) cpu = process.cpuUsage();
    const t = performance.now();
    await db.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: { pk: { S: 'C#bench-round-trip' }, sk: { S: 'x' } },
        UpdateExpression: 'ADD requests :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
      }),
    );
    if (i >= 100) times.push(performance.now() - t);
  }
  const used = process.cpuUsage(cpu);
  db.destroy();
  return { p50: round(percentile(times, 50), 3), cpuMs: round((used.user + used.system) / 1000 / count, 3) };
}

/** Measures over `count` interleaved rounds (after a warm-up) and `countCalls` requests per route. */
export async function measureUsageTable(sim: Simulator, count: number, loadSeconds: number, countCalls = 100): Promise<UsageTableCost> {
  const store = await startEmbeddedDynamo();
  const onStore = { ...WITH_TABLE, USAGE_TABLE: store.tableName, DYNAMODB_ENDPOINT: store.endpoint };
  const apis: SpawnedApi[] = await Promise.all([
    spawnApi(sim, { USAGE_TABLE: 'none', LOCAL_API_KEYS: `bench:${KEY}` }),
    spawnApi(sim, { ...onStore, LOCAL_BUDGETS: '{}' }),
    spawnApi(sim, onStore),
  ]);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const times: number[][] = apis.map(() => []);
    for (let i = 0; i < count + 200; i++) {
      for (const [j, api] of apis.entries()) {
        const t = performance.now();
        await send(agent, api.url, PROXIED);
        if (i >= 200) times[j]?.push(performance.now() - t);
      }
    }
    const added = (j: number) => ({
      p50: round(percentile(times[j] ?? [], 50) - percentile(times[0] ?? [], 50), 3),
      p99: round(percentile(times[j] ?? [], 99) - percentile(times[0] ?? [], 99), 3),
    });
    const rps = async (api: SpawnedApi) =>
      (await runLoad({ base: api.url, connections: 64, requests: Number.MAX_SAFE_INTEGER, maxSeconds: loadSeconds, request: PROXIED })).rps;
    const rpsWithout = await rps(apis[0] as SpawnedApi);
    const rpsWith = await rps(apis[2] as SpawnedApi);
    await Promise.all(apis.map((a) => a.stop()));
    apis.length = 0;
    const trip = await roundTrip(store, count / 2);
    const counter = await countingPassThrough(store.endpoint);
    const counted = await spawnApi(sim, { ...onStore, DYNAMODB_ENDPOINT: counter.url });
    const unbudgeted = await spawnApi(sim, { ...onStore, DYNAMODB_ENDPOINT: counter.url, LOCAL_BUDGETS: '{}' });
    try {
      const calls = async (req: LoadRequest, on = counted) => {
        await send(agent, on.url, req); // the first call of each route loads the SDK
        await new Promise((r) => setTimeout(r, 200));
        counter.counts.clear();
        for (let i = 0; i < countCalls; i++) await send(agent, on.url, req);
        await new Promise((r) => setTimeout(r, 500)); // ledger writes follow each answer
        return perRequest(counter.counts, countCalls);
      };
      const proxyCalls = await calls(PROXIED);
      const agentCalls = await calls(AGENT);
      const unbudgetedCalls = await calls(PROXIED, unbudgeted);
      return {
        unbudgeted: added(1),
        budgeted: added(2),
        roundTripP50: trip.p50,
        sdkCpuMsPerCall: trip.cpuMs,
        rpsWithout,
        rpsWith,
        proxyCalls,
        agentCalls,
        unbudgetedCalls,
      };
    } finally {
      await Promise.all([counted.stop(), unbudgeted.stop()]);
      counter.close();
    }
  } finally {
    agent.destroy();
    await Promise.all(apis.map((a) => a.stop()));
    await store.close();
  }
}
