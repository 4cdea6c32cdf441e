// Every route that can reach IONOS goes through the one pipeline, proven by walking the route table
// against `npm start` (spawned, with its store): for each route (and the agent buffered and streamed, Hub
// and Studio), a consumer over its budget gets 429 budget_exceeded before IONOS sees anything, a served
// request appears in /v1/usage with what it used, a stream the client cuts short is still charged, and
// each request writes exactly one log line. A route added to ROUTES without a case here fails the first test.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EMBEDDED_AWS_ENV, startEmbeddedDynamo, type EmbeddedDynamo } from '#infra/offline/dynamodb.ts';
import { STUDIO_MODELS } from '#infra/offline/ionos-simulator/catalogue.ts';
import { startSimulator, type Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { ENDPOINTS } from '#shared/proxy/endpoints.ts';
import { FUNCTIONS, ROUTES, type Operation } from '#shared/routes.ts';
import { reserve } from '#shared/usage/budgets.ts';
import { openUsageStore } from '#shared/usage/store.ts';
import { spawnApi, type SpawnedApi } from '#test/helpers/spawn-api.ts';

const SPENT = 'spentKey0123456789abcdefXYZ0';
const USER = 'userKey0123456789abcdefXYZ00';
const CHAT = 'mistralai/Mistral-Small-24B-Instruct';
const STUDIO = Object.values(STUDIO_MODELS)[0] as string;
const IMAGE = 'black-forest-labs/FLUX.1-schnell';
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);
const messages = [{ role: 'user', content: 'Tell me a long story about the sea.' }];
const agentBody = { messages: [{ type: 'human', content: 'Tell me a long story about the sea.' }] };

/** One request that reaches IONOS: the route it takes, how to send it, and what it uses. */
interface Case {
  name: string;
  /** The route table entry it exercises (`METHOD path`). */
  route: string;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: () => string | FormData;
  /** What the ledger counts for it. */
  uses: 'tokens' | 'images' | 'studio' | 'nothing';
  /** It streams: a client that leaves after the first bytes is charged too. */
  streams?: boolean;
  /** Where a client that leaves does (default: after the first bytes). */
  leavesAfter?: string;
}

const json = (body: object) => () => JSON.stringify(body);
const JSON_TYPE = { 'content-type': 'application/json' };
const CASES: Case[] = [
  {
    name: 'agent, Hub, buffered',
    route: 'POST /',
    method: 'POST',
    path: '/',
    headers: { ...JSON_TYPE, 'x-model-id': CHAT },
    body: json(agentBody),
    uses: 'tokens',
  },
  {
    name: 'agent, Hub, streamed',
    route: 'POST /',
    method: 'POST',
    path: '/?stream=true',
    headers: { ...JSON_TYPE, 'x-model-id': CHAT },
    body: json(agentBody),
    uses: 'tokens',
    streams: true,
  },
  {
    name: 'agent, Studio',
    route: 'POST /',
    method: 'POST',
    path: '/',
    headers: { ...JSON_TYPE, 'x-model-id': STUDIO },
    body: json(agentBody),
    uses: 'studio',
  },
  {
    name: 'chat completions',
    route: 'ANY /v1/{proxy+}',
    method: 'POST',
    path: '/v1/chat/completions',
    headers: JSON_TYPE,
    body: json({ model: CHAT, messages }),
    uses: 'tokens',
  },
  {
    name: 'chat completions, streamed',
    route: 'ANY /v1/{proxy+}',
    method: 'POST',
    path: '/v1/chat/completions',
    headers: JSON_TYPE,
    body: json({ model: CHAT, messages, stream: true }),
    uses: 'tokens',
    streams: true,
  },
  {
    name: 'chat completions, Studio',
    route: 'ANY /v1/{proxy+}',
    method: 'POST',
    path: '/v1/chat/completions',
    headers: JSON_TYPE,
    body: json({ model: STUDIO, messages }),
    uses: 'studio',
  },
  {
    name: 'completions, streamed',
    route: 'ANY /v1/{proxy+}',
    method: 'POST',
    path: '/v1/completions',
    headers: JSON_TYPE,
    body: json({ model: CHAT, prompt: 'Once upon a time', stream: true }),
    uses: 'tokens',
    streams: true,
  },
  {
    name: 'embeddings',
    route: 'ANY /v1/{proxy+}',
    method: 'POST',
    path: '/v1/embeddings',
    headers: JSON_TYPE,
    body: json({ model: 'BAAI/bge-m3', input: 'the sea' }),
    uses: 'tokens',
  },
  {
    name: 'rerank',
    route: 'ANY /v1/{proxy+}',
    method: 'POST',
    path: '/v1/rerank',
    headers: JSON_TYPE,
    body: json({ model: 'BAAI/bge-reranker-v2-m3', query: 'sea', documents: ['sea', 'land'] }),
    uses: 'tokens',
  },
  { name: 'models', route: 'ANY /v1/{proxy+}', method: 'GET', path: '/v1/models', uses: 'nothing' },
  {
    name: 'image generations',
    route: 'POST /v1/images/generations',
    method: 'POST',
    path: '/v1/images/generations',
    headers: JSON_TYPE,
    body: json({ model: IMAGE, prompt: 'a boat', n: 2 }),
    uses: 'images',
  },
  {
    name: 'image edits',
    route: 'POST /v1/images/edits',
    method: 'POST',
    path: '/v1/images/edits',
    body: () => {
      const form = new FormData();
      form.set('model', IMAGE);
      form.set('prompt', 'add a sail');
      form.set('image', new Blob([PNG], { type: 'image/png' }), 'boat.png');
      return form;
    },
    uses: 'images',
  },
  {
    name: 'responses',
    route: 'POST /v1/responses',
    method: 'POST',
    path: '/v1/responses',
    headers: JSON_TYPE,
    body: json({ model: CHAT, input: 'Tell me a long story.' }),
    uses: 'tokens',
  },
  {
    name: 'responses, streamed',
    route: 'POST /v1/responses',
    method: 'POST',
    path: '/v1/responses',
    headers: JSON_TYPE,
    body: json({ model: CHAT, input: 'Tell me a long story.', stream: true }),
    uses: 'tokens',
    streams: true,
  },
  ...threadRuns(),
  { name: 'legacy models', route: 'GET /models', method: 'GET', path: '/models', uses: 'nothing' },
  {
    name: 'legacy predictions',
    route: 'POST /models/{modelPath+}',
    method: 'POST',
    path: `/models/${CHAT}/predictions`,
    headers: JSON_TYPE,
    body: json({ properties: { input: 'Tell me a long story.' } }),
    uses: 'tokens',
  },
];

/** The LangGraph API's runs: on a thread (created by the run) and stateless, streamed and waited for. */
function threadRuns(): Case[] {
  const thread = '4d3c2b1a-0000-4000-8000-00000000c0de'; // each consumer has its own thread of this id
  const run = (streamed: boolean) =>
    json({
      assistant_id: 'agent',
      input: { messages: [{ type: 'human', content: 'Tell me a long story about the sea.' }] },
      context: { model: CHAT },
      if_not_exists: 'create',
      ...(streamed ? { stream_mode: ['messages-tuple', 'values'] } : {}),
    });
  const common = { method: 'POST' as const, headers: JSON_TYPE, uses: 'tokens' as const };
  return [
    {
      ...common,
      name: 'thread run, streamed',
      route: 'POST /threads/{thread_id}/runs/stream',
      path: `/threads/${thread}/runs/stream`,
      body: run(true),
      streams: true,
      leavesAfter: 'event: messages',
    },
    {
      ...common,
      name: 'thread run, waited for',
      route: 'POST /threads/{thread_id}/runs/wait',
      path: `/threads/${thread}/runs/wait`,
      body: run(false),
    },
    {
      ...common,
      name: 'stateless run, streamed',
      route: 'POST /runs/stream',
      path: '/runs/stream',
      body: run(true),
      streams: true,
      leavesAfter: 'event: messages',
    },
    { ...common, name: 'stateless run, waited for', route: 'POST /runs/wait', path: '/runs/wait', body: run(false) },
  ];
}

// The operations that answer from our own store, never from IONOS (the usage, stored responses, the
// LangGraph API's threads, assistant and refusals).
const OWN_ANSWERS: readonly Operation[] = [
  'usage',
  'response-item',
  'info',
  'ok',
  'assistants-search',
  'assistant',
  'thread-create',
  'thread-search',
  'thread',
  'thread-state',
  'thread-history',
  'unsupported',
];

let sim: Simulator;
let store: EmbeddedDynamo;
let api: SpawnedApi;

beforeAll(async () => {
  sim = await startSimulator({ rateLimit: { rps: 0, burst: 0 } });
  store = await startEmbeddedDynamo();
  api = await spawnApi(sim, {
    ...EMBEDDED_AWS_ENV,
    USAGE_TABLE: store.tableName,
    DYNAMODB_ENDPOINT: store.endpoint,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    LOCAL_API_KEYS: `spent:${SPENT},user:${USER}`,
    LOCAL_BUDGETS: JSON.stringify({
      spent: { tokensPerDay: 1 },
      user: { tokensPerMonth: 100_000_000, imagesPerDay: 1_000, studioJobsPerDay: 1_000 },
    }),
  });
  // `spent` has used its day already.
  Object.assign(process.env, EMBEDDED_AWS_ENV);
  const table = openUsageStore({ tableName: store.tableName, endpoint: store.endpoint });
  await reserve(table, 'spent', { tokensPerDay: 1 }, { tokens: 1, images: 0, studioJobs: 0 }, new Date());
});
afterAll(async () => {
  await api.stop();
  await store.close();
  await sim.close();
});

const send = (c: Case, key: string, signal?: AbortSignal) =>
  fetch(`${api.url}${c.path}`, { method: c.method, headers: { ...c.headers, authorization: `Bearer ${key}` }, body: c.body?.(), signal });

type Counts = { requests: number; total_tokens: number; images: number; studio_jobs: number; estimated: number };
const today = async (key: string): Promise<Counts> => {
  const res = await fetch(`${api.url}/v1/usage`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { today: Counts }).today;
};
/** The pipeline's log lines so far (one per request that can reach IONOS). */
const pipelineLines = () =>
  api
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { message?: string; consumer?: string; status?: number; outcome?: string })
    .filter((line) => ['proxied', 'agent run', 'agent run failed'].includes(line.message ?? ''));
/** Waits until the ledger moved past `before` (entries are written just after each answer). */
const after = (key: string, before: Counts, check: (now: Counts) => void) =>
  vi.waitFor(
    async () => {
      const now = await today(key);
      expect(now.requests).toBeGreaterThan(before.requests);
      check(now);
      return now;
    },
    { timeout: 5_000, interval: 100 },
  );

describe('the one pipeline, route by route', () => {
  it('has a case for every route that can reach IONOS, and for every Hub endpoint behind the greedy path', () => {
    const upstreamRoutes = ROUTES.filter((r) => FUNCTIONS[r.function].callsIonos && !OWN_ANSWERS.includes(r.operation as Operation)).map(
      (r) => `${r.method} ${r.path}`,
    );
    const covered = new Set(CASES.map((c) => c.route));
    expect(upstreamRoutes.filter((r) => !covered.has(r))).toEqual([]);
    const endpoints = new Set(CASES.map((c) => c.path.split('?')[0]));
    expect(Object.keys(ENDPOINTS).filter((p) => !endpoints.has(p))).toEqual([]);
  });

  it.each(CASES)('$name: over budget is 429 budget_exceeded before IONOS is called, with one log line', async (c) => {
    const seen = sim.control.requests.length;
    const lines = pipelineLines().length;
    const res = await send(c, SPENT);
    expect(res.status).toBe(429);
    expect(await res.json()).toMatchObject({ error: { code: 'budget_exceeded', type: 'rate_limit_error' } });
    expect(sim.control.requests.length).toBe(seen);
    await vi.waitFor(() => expect(pipelineLines().length).toBe(lines + 1), { timeout: 2_000, interval: 50 });
    expect(pipelineLines().at(-1)).toMatchObject({ consumer: 'spent', status: 429 });
  });

  it.each(CASES)('$name: served, it is in /v1/usage with what it used, and logged once', async (c) => {
    const before = await today(USER);
    const lines = pipelineLines().length;
    const res = await send(c, USER);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const now = await after(USER, before, (n) => {
      if (c.uses === 'tokens') expect(n.total_tokens).toBeGreaterThan(before.total_tokens);
      if (c.uses === 'images') expect(n.images).toBeGreaterThan(before.images);
      if (c.uses === 'studio') expect(n.studio_jobs).toBe(before.studio_jobs + 1);
    });
    expect(now.requests).toBe(before.requests + 1);
    expect(now.estimated).toBe(before.estimated);
    await vi.waitFor(() => expect(pipelineLines().length).toBe(lines + 1), { timeout: 2_000, interval: 50 });
    expect(pipelineLines().at(-1)).toMatchObject({ consumer: 'user', status: 200, outcome: 'complete' });
  });

  it.each(CASES.filter((c) => c.streams === true))('$name: a stream the client cuts short is charged, marked estimated', async (c) => {
    await fetch(`${sim.url}/__sim/settings`, { method: 'PUT', body: JSON.stringify({ streamDelayMs: 200 }) });
    try {
      const before = await today(USER);
      const controller = new AbortController();
      const res = await send(c, USER, controller.signal);
      expect(res.status).toBe(200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      // The first bytes (or the first of what the case names), then the client leaves.
      let seen = '';
      do seen += new TextDecoder().decode((await reader.read()).value);
      while (c.leavesAfter !== undefined && !seen.includes(c.leavesAfter));
      controller.abort();
      const now = await after(USER, before, (n) => expect(n.estimated).toBe(before.estimated + 1));
      expect(now.total_tokens).toBeGreaterThan(before.total_tokens);
      await vi.waitFor(() => expect(pipelineLines().at(-1)).toMatchObject({ consumer: 'user', outcome: 'aborted' }), {
        timeout: 2_000,
        interval: 50,
      });
    } finally {
      await fetch(`${sim.url}/__sim/settings`, { method: 'PUT', body: JSON.stringify({ streamDelayMs: 0 }) });
    }
  });
});
