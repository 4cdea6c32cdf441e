// The budgets and the contract's shares hold against a hostile consumer, through `npm start` (spawned, with
// its store): parallel requests at the edge of a budget cannot run far past it (the reservation is the
// check), images and Studio jobs have budgets of their own, and one consumer's fan-out takes at most its
// share of the contract, leaving the rest to the others.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EMBEDDED_AWS_ENV, startEmbeddedDynamo, type EmbeddedDynamo } from '#infra/offline/dynamodb.ts';
import { STUDIO_MODELS } from '#infra/offline/ionos-simulator/catalogue.ts';
import { startSimulator, type Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { spawnApi, type SpawnedApi } from '#test/helpers/spawn-api.ts';

const EDGE = 'edgeKey0123456789abcdefXYZ00';
const PAINTER = 'painterKey0123456789abcdefXY';
const ALICE = 'aliceKey0123456789abcdefXYZ0';
const BOB = 'bobKey0123456789abcdefXYZ000';
const CHAT = 'mistralai/Mistral-Small-24B-Instruct';
const STUDIO = Object.values(STUDIO_MODELS)[0] as string;

let sim: Simulator;
const stores: EmbeddedDynamo[] = [];

beforeAll(async () => {
  sim = await startSimulator({ rateLimit: { rps: 0, burst: 0 } });
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await sim.close();
});

/** An API process with a store of its own. */
async function spawnWith(env: Record<string, string>): Promise<SpawnedApi> {
  const store = await startEmbeddedDynamo();
  stores.push(store);
  return spawnApi(sim, { ...EMBEDDED_AWS_ENV, USAGE_TABLE: store.tableName, DYNAMODB_ENDPOINT: store.endpoint, ...env });
}

const post = (api: SpawnedApi, key: string, path: string, body: object, headers: Record<string, string> = {}) =>
  fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
type Budget = { budget: string; limit: number; used: number };
const budgets = async (api: SpawnedApi, key: string) =>
  ((await (await fetch(`${api.url}/v1/usage`, { headers: { authorization: `Bearer ${key}` } })).json()) as { budgets: Budget[] }).budgets;

describe('budgets that hold', () => {
  let api: SpawnedApi;
  beforeAll(async () => {
    api = await spawnWith({
      LOCAL_API_KEYS: `edge:${EDGE},painter:${PAINTER}`,
      LOCAL_BUDGETS: JSON.stringify({ edge: { tokensPerDay: 300 }, painter: { imagesPerDay: 3, studioJobsPerDay: 1 } }),
    });
  });
  afterAll(() => api.stop());

  it('20 parallel requests with 10k-token prompts at a 300-token budget: one is served, the overshoot is one request', async () => {
    const prompt = 'word '.repeat(8_000); // 40 kB: about 10,000 tokens
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        post(api, EDGE, '/v1/chat/completions', { model: CHAT, messages: [{ role: 'user', content: prompt }] }),
      ),
    );
    const ok = answers.filter((r) => r.status === 200);
    const refused = answers.filter((r) => r.status === 429);
    expect(ok.length + refused.length).toBe(20);
    expect(ok.length).toBe(1); // the first reservation (prompt estimate + 1024) covers the whole budget
    const [served] = (await Promise.all(ok.map((r) => r.json()))) as { usage: { total_tokens: number } }[];
    for (const r of refused) expect(await r.json()).toMatchObject({ error: { code: 'budget_exceeded' } });
    // Settled to the real use: the budget ends at the served request's tokens, not 20 of them (51,671 before).
    await vi.waitFor(
      async () => expect((await budgets(api, EDGE))[0]).toMatchObject({ budget: 'tokensPerDay', used: served?.usage.total_tokens }),
      { timeout: 5_000, interval: 100 },
    );
  });

  it('counts images against imagesPerDay: a request is served only when all the images it asks for fit', async () => {
    const image = (n: number) =>
      post(api, PAINTER, '/v1/images/generations', { model: 'black-forest-labs/FLUX.1-schnell', prompt: 'a boat', n });
    expect((await image(2)).status).toBe(200);
    const tooMany = await image(2);
    expect(tooMany.status).toBe(429);
    expect(await tooMany.json()).toMatchObject({
      error: { code: 'budget_exceeded', message: expect.stringContaining('imagesPerDay budget (2 of 3 images)') },
    });
    expect((await image(1)).status).toBe(200);
    expect((await image(1)).status).toBe(429);
  });

  it('counts Studio jobs against studioJobsPerDay, through the proxy and the agent', async () => {
    const before = sim.control.requests.filter((r) => r.path.endsWith('/generate')).length;
    expect(
      (await post(api, PAINTER, '/v1/chat/completions', { model: STUDIO, messages: [{ role: 'user', content: 'Hallo' }] })).status,
    ).toBe(200);
    const proxy = await post(api, PAINTER, '/v1/chat/completions', { model: STUDIO, messages: [{ role: 'user', content: 'Hallo' }] });
    expect(proxy.status).toBe(429);
    expect(await proxy.json()).toMatchObject({ error: { code: 'budget_exceeded', message: expect.stringContaining('studioJobsPerDay') } });
    const agent = await post(api, PAINTER, '/', { messages: [{ type: 'human', content: 'Hallo' }] }, { 'x-model-id': STUDIO });
    expect(agent.status).toBe(429);
    expect(sim.control.requests.filter((r) => r.path.endsWith('/generate'))).toHaveLength(before + 1);
  });
});

describe("the contract's shares", () => {
  it("holds one consumer's burst to its share (one half by default), so another consumer is still served", async () => {
    const api = await spawnWith({
      LOCAL_API_KEYS: `alice:${ALICE},bob:${BOB}`,
      IONOS_REQUESTS_PER_SECOND: '0.5',
      IONOS_REQUESTS_BURST: '6',
    });
    try {
      const chat = (key: string) => post(api, key, '/v1/chat/completions', { model: CHAT, messages: [{ role: 'user', content: 'Hi' }] });
      const alice = await Promise.all(Array.from({ length: 6 }, () => chat(ALICE)));
      expect(alice.filter((r) => r.status === 200)).toHaveLength(3); // half the burst of 6
      const refused = alice.filter((r) => r.status === 429);
      expect(refused).toHaveLength(3);
      for (const r of refused) {
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(await r.json()).toMatchObject({ error: { code: 'contract_share_exceeded', message: expect.stringContaining('"alice"') } });
      }
      const bob = await Promise.all(Array.from({ length: 3 }, () => chat(BOB)));
      expect(bob.map((r) => r.status)).toEqual([200, 200, 200]);
    } finally {
      await api.stop();
    }
  });
});
