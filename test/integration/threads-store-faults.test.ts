// The thread store's faults, through `npm start` (spawned) pointed at a store that is down (a closed port),
// slow (accepts and never answers) or throttling (answers DynamoDB's ThrottlingException): every LangGraph
// API operation answers the documented 503 `thread_store_unavailable`, a run is refused before its stream
// starts and before IONOS is asked, and `POST /` (stateless, its ledger failing open) still answers.
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_AWS_ENV } from '#infra/offline/dynamodb.ts';
import { startSimulator, type Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { startFaultyStore, type FaultyStore } from '#test/helpers/faulty-store.ts';
import { spawnApi, type SpawnedApi } from '#test/helpers/spawn-api.ts';

const KEY = 'storeFaultKey0123456789abcdef';
const THREAD = '4d3c2b1a-0000-4000-8000-0000000fa017';
let sim: Simulator;
let slow: FaultyStore;
let throttling: FaultyStore;
const apis = new Map<string, SpawnedApi>();

beforeAll(async () => {
  sim = await startSimulator({ rateLimit: { rps: 0, burst: 0 } });
  slow = await startFaultyStore('hang');
  throttling = await startFaultyStore('throttle');
  const closed = createTcpServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const endpoints = { down: `http://127.0.0.1:${closedPort}`, slow: slow.endpoint, throttled: throttling.endpoint };
  for (const [fault, endpoint] of Object.entries(endpoints)) {
    apis.set(fault, await spawnApi(sim, { ...EMBEDDED_AWS_ENV, USAGE_TABLE: 'threads', DYNAMODB_ENDPOINT: endpoint, LOCAL_API_KEYS: KEY }));
  }
}, 60_000);
afterAll(async () => {
  await Promise.all([...apis.values()].map((a) => a.stop()));
  await slow?.close();
  await throttling?.close();
  await sim?.close();
});

const call = (api: SpawnedApi, method: string, path: string, body?: object) =>
  fetch(`${api.url}${path}`, {
    method,
    headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe.each(['down', 'slow', 'throttled'])('a thread store that is %s', (fault) => {
  it('answers 503 thread_store_unavailable for every thread operation, and asks IONOS nothing', async () => {
    const api = apis.get(fault) as SpawnedApi;
    sim.control.reset();
    const run = { assistant_id: 'agent', input: { messages: [{ type: 'human', content: 'Hi' }] } };
    for (const [method, path, body] of [
      ['POST', '/threads', {}],
      ['POST', '/threads/search', {}],
      ['GET', `/threads/${THREAD}`],
      ['GET', `/threads/${THREAD}/state`],
      ['POST', `/threads/${THREAD}/history`, {}],
      ['POST', `/threads/${THREAD}/runs/stream`, run],
      ['POST', `/threads/${THREAD}/runs/wait`, run],
    ] as [string, string, object | undefined][]) {
      const res = await call(api, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: 'thread_store_unavailable', type: 'service_unavailable' } });
    }
    expect(sim.control.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(0);
  }, 60_000);

  it('leaves stateless runs and POST / answering', async () => {
    const api = apis.get(fault) as SpawnedApi;
    const stateless = await call(api, 'POST', '/runs/wait', {
      assistant_id: 'agent',
      input: { messages: [{ type: 'human', content: 'Hi' }] },
    });
    expect(stateless.status).toBe(200);
    const agent = await fetch(`${api.url}/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'x-model-id': 'mistralai/Mistral-Small-24B-Instruct' },
      body: JSON.stringify({ messages: [{ type: 'human', content: 'Hi' }] }),
    });
    expect(agent.status).toBe(200);
  }, 60_000);
});
