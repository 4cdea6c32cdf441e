// Budgets and the IONOS contract through `npm start` (spawned): a consumer over its budget gets the
// documented 429 (proxy and agent), two API processes sharing one store hold one contract limit together,
// the agent waits for a contract slot instead of failing, and a store that is down, hanging or throttling
// lets requests through (fail-open) with its failure logged, never a 500.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '#infra/offline/dynamodb.ts';
import { EMBEDDED_AWS_ENV } from '#infra/offline/dynamodb.ts';
import { STUDIO_MODELS } from '#infra/offline/ionos-simulator/catalogue.ts';
import { startSimulator, type Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { startFaultyStore } from '#test/helpers/faulty-store.ts';
import { spawnApi, type SpawnedApi } from '#test/helpers/spawn-api.ts';

const CAROL = 'carolKey0123456789abcdefXYZ';
const DAVE = 'daveKey0123456789abcdefXYZ0';
const ERIN = 'erinKey0123456789abcdefXYZ0';
const CHAT = 'mistralai/Mistral-Small-24B-Instruct';
const messages = [{ role: 'user', content: 'How many tokens is this?' }];

let sim: Simulator;
let store: EmbeddedDynamo;

beforeAll(async () => {
  sim = await startSimulator({ rateLimit: { rps: 0, burst: 0 } });
  store = await startEmbeddedDynamo();
});
afterAll(async () => {
  await store.close();
  await sim.close();
});

/** An API process on the shared store. */
const spawnOnStore = (env: Record<string, string> = {}) =>
  spawnApi(sim, { ...EMBEDDED_AWS_ENV, USAGE_TABLE: store.tableName, DYNAMODB_ENDPOINT: store.endpoint, ...env });

const chat = (api: SpawnedApi, key: string, body: object = {}) =>
  fetch(`${api.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: CHAT, messages, ...body }),
  });
const agent = (api: SpawnedApi, key: string, stream = false) =>
  fetch(`${api.url}/${stream ? '?stream=true' : ''}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-model-id': CHAT },
    body: JSON.stringify({ messages: [{ type: 'human', content: 'How many tokens is this?' }] }),
  });
type Budget = { budget: string; limit: number; used: number; remaining: number; resets_at: string };
const budgets = async (api: SpawnedApi, key: string) => {
  const res = await fetch(`${api.url}/v1/usage`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { budgets: Budget[] }).budgets;
};
/** Budgets once `used` reached `tokens` (entries are written just after each answer: bounded wait). */
const budgetsAfter = (api: SpawnedApi, key: string, tokens: number) =>
  vi.waitFor(
    async () => {
      const read = await budgets(api, key);
      expect(read[0]?.used ?? 0).toBeGreaterThanOrEqual(tokens);
      return read;
    },
    { timeout: 5_000, interval: 100 },
  );

describe('budgets', () => {
  let api: SpawnedApi;
  let perRequest: number;
  beforeAll(async () => {
    api = await spawnOnStore({
      LOCAL_API_KEYS: `carol:${CAROL},dave:${DAVE},erin:${ERIN}`,
      LOCAL_BUDGETS: JSON.stringify({ carol: { tokensPerDay: 1 }, erin: { tokensPerMonth: 1_000_000 } }),
      POWERTOOLS_METRICS_DISABLED: 'false', // the EMF lines the dashboard and the alarms read
    });
  });
  afterAll(() => api.stop());

  it('lets a consumer use its budget, then answers 429 budget_exceeded naming it, with Retry-After until the window resets', async () => {
    const first = await chat(api, CAROL);
    expect(first.status).toBe(200);
    const { usage } = (await first.json()) as { usage: { total_tokens: number } };
    perRequest = usage.total_tokens;
    const [day] = await budgetsAfter(api, CAROL, perRequest);
    const midnight = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`).getTime() + 86_400_000;
    expect(day).toEqual({ budget: 'tokensPerDay', limit: 1, used: perRequest, remaining: 0, resets_at: new Date(midnight).toISOString() });

    const refused = await chat(api, CAROL);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil((midnight - Date.now()) / 1000) + 1);
    expect(await refused.json()).toEqual({
      error: {
        message: expect.stringMatching(/^Consumer "carol" has used its tokensPerDay budget \(\d+ of 1 tokens\); it resets at /),
        type: 'rate_limit_error',
        code: 'budget_exceeded',
        param: null,
      },
    });
  });

  it('refuses the agent too, with a real 429 before any stream starts', async () => {
    for (const stream of [false, true]) {
      const res = await agent(api, CAROL, stream);
      expect(res.status).toBe(429);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(await res.json()).toMatchObject({ error: { code: 'budget_exceeded' } });
    }
  });

  it('leaves consumers without a budget alone, and the refused requests out of the ledger', async () => {
    expect((await chat(api, DAVE)).status).toBe(200);
    expect(await budgets(api, DAVE)).toEqual([]);
    const usage = await (await fetch(`${api.url}/v1/usage`, { headers: { authorization: `Bearer ${CAROL}` } })).json();
    expect(usage).toMatchObject({ consumer: 'carol', today: { requests: 1 } });
  });

  it('emits the per-consumer metrics the dashboard and the 80 % alarm read', async () => {
    const res = await chat(api, ERIN);
    const { usage } = (await res.json()) as { usage: { total_tokens: number; prompt_tokens: number; completion_tokens: number } };
    /** The EMF line carrying a metric for a consumer. */
    const emf = (name: string, consumer: string) =>
      api
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{') && line.includes(`"${name}"`))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((m) => m[name] !== undefined && m.consumer === consumer);
    await vi.waitFor(() => expect(emf('MonthlyBudgetUsedPercent', 'erin')).toBeDefined(), { timeout: 5_000, interval: 100 });
    expect(emf('MonthlyBudgetUsedPercent', 'erin')).toMatchObject({
      MonthlyBudgetUsedPercent: Math.round((usage.total_tokens / 1_000_000) * 1000) / 10,
    });
    // The request's record counts it for the consumer as well: a second dimension set, the same values.
    const request = emf('Requests', 'erin') as { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } } & Record<string, unknown>;
    expect(request).toMatchObject({ Requests: 1, PromptTokens: usage.prompt_tokens, CompletionTokens: usage.completion_tokens });
    expect(request._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([
      ['service', 'route', 'model', 'statusClass'],
      ['service', 'consumer'],
    ]);
    expect(emf('Rejected', 'carol')).toMatchObject({ reason: 'budget_exceeded', Rejected: 1 });
  });
});

describe('the IONOS contract', () => {
  it('is held by two API processes together: no more requests reach IONOS than the burst and the rate allow', async () => {
    const env = { IONOS_REQUESTS_PER_SECOND: '2', IONOS_REQUESTS_BURST: '4' };
    const [a, b] = await Promise.all([spawnOnStore(env), spawnOnStore(env)]);
    try {
      sim.control.reset();
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => chat(i % 2 === 0 ? (a as SpawnedApi) : (b as SpawnedApi), CAROL)),
      );
      const elapsedS = (Date.now() - started) / 1000;
      const ok = answers.filter((r) => r.status === 200);
      const refused = answers.filter((r) => r.status === 429);
      expect(ok.length + refused.length).toBe(20);
      // The burst, plus what the rate refilled while the requests were arriving.
      expect(ok.length).toBeGreaterThanOrEqual(4);
      expect(ok.length).toBeLessThanOrEqual(4 + Math.ceil(2 * elapsedS));
      expect(sim.control.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(ok.length);
      for (const res of refused) {
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(await res.json()).toMatchObject({ error: { code: 'contract_rate_limited', type: 'rate_limit_error' } });
      }
      // The agent does not fail on a used-up contract: it waits for the next slot within its deadline.
      const waited = await agent(a as SpawnedApi, CAROL);
      expect(waited.status).toBe(200);
    } finally {
      await Promise.all([a?.stop(), b?.stop()]);
    }
  });
});

describe('the IONOS contract, Studio jobs', () => {
  it('takes a slot for each Studio job too: with none free, the proxy answers 429 and creates no job', async () => {
    // One slot every 5 s, burst 1: the chat completion takes it, the Studio job finds none. A store of its
    // own: the shared one's bucket still holds the previous test's slots.
    const own = await startEmbeddedDynamo();
    const api = await spawnApi(sim, {
      ...EMBEDDED_AWS_ENV,
      USAGE_TABLE: own.tableName,
      DYNAMODB_ENDPOINT: own.endpoint,
      IONOS_REQUESTS_PER_SECOND: '0.2',
      IONOS_REQUESTS_BURST: '1',
    });
    try {
      sim.control.reset();
      expect((await chat(api, CAROL)).status).toBe(200);
      const studio = await chat(api, CAROL, { model: STUDIO_MODELS['qwen-gdpr-demo'] });
      expect(studio.status).toBe(429);
      expect(await studio.json()).toMatchObject({ error: { code: 'contract_rate_limited' } });
      expect(sim.control.requests.filter((r) => r.path.endsWith('/generate'))).toEqual([]);
      // The refused job never reached IONOS: the ledger holds the chat completion only, not a failed request.
      await new Promise((r) => setTimeout(r, 300));
      const usage = (await (await fetch(`${api.url}/v1/usage`)).json()) as { today: { requests: number; failed: number } };
      expect(usage.today).toMatchObject({ requests: 1, failed: 0 });
    } finally {
      await api.stop();
      await own.close();
    }
  });
});

describe('a usage table that fails', () => {
  const budgeted = { LOCAL_API_KEYS: `carol:${CAROL}`, LOCAL_BUDGETS: JSON.stringify({ carol: { tokensPerMinute: 1_000_000 } }) };
  for (const mode of ['down', 'hang', 'throttle'] as const) {
    it(`lets requests through when the store is ${mode === 'down' ? 'unreachable' : mode === 'hang' ? 'too slow to answer' : 'throttling'} (fail-open), and logs each part's failure`, async () => {
      const faulty = mode === 'down' ? undefined : await startFaultyStore(mode);
      const api = await spawnApi(sim, {
        ...EMBEDDED_AWS_ENV,
        ...budgeted,
        USAGE_TABLE: 'usage',
        DYNAMODB_ENDPOINT: faulty?.endpoint ?? 'http://127.0.0.1:9',
        IONOS_REQUESTS_PER_SECOND: '5', // a contract to hold (the simulator here has none)
      });
      try {
        const res = await chat(api, CAROL);
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ object: 'chat.completion' });
        const run = await agent(api, CAROL);
        expect(run.status).toBe(200);
        const read = await fetch(`${api.url}/v1/usage`, { headers: { authorization: `Bearer ${CAROL}` } });
        expect(read.status).toBe(503);
        expect(await read.json()).toMatchObject({ error: { code: 'ledger_unavailable' } });
        await vi.waitFor(() => expect(api.output()).toContain('usage ledger write failed'), { timeout: 5_000, interval: 100 });
        for (const line of ['budget reservation failed', 'contract limiter failed', 'usage ledger write failed'])
          expect(api.output()).toContain(line);
        if (faulty !== undefined) expect(faulty.calls()).toBeGreaterThan(0);
      } finally {
        await api.stop();
        await faulty?.close();
      }
    });
  }
});
