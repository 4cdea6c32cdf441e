// Threads through the LangGraph API as agent UIs use it: the official `@langchain/langgraph-sdk` Client, in
// its current release, against `npm start` (spawned) and the IONOS simulator. A thread is created, run in
// each stream mode, read back (state, history), continued, forked (edit and regenerate), searched and
// deleted; a second consumer sees none of it; a second run on a busy thread is 409; a client that leaves
// with on_disconnect "continue" still finds the finished turn in history; stateless runs keep nothing.
import { Client, type Message, type ThreadState } from '@langchain/langgraph-sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { STUDIO_MODELS } from '#infra/offline/ionos-simulator/catalogue.ts';
import { startSimulator, type Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { spawnApi, type SpawnedApi } from '#test/helpers/spawn-api.ts';

const ALICE = 'alice-thread-key-0123456789ab';
const BOB = 'bob-thread-key-0123456789abcd';
const MODEL = 'mistralai/Mistral-Small-24B-Instruct';
const ASSISTANT_ID = 'fe096781-5601-53d2-b2f6-0d3403f7e9ca'; // LangGraph's id of the graph "agent"

let sim: Simulator;
let api: SpawnedApi;
let alice: Client;
let bob: Client;

beforeAll(async () => {
  sim = await startSimulator({ rateLimit: { rps: 0, burst: 0 } });
  api = await spawnApi(sim, { LOCAL_API_KEYS: `alice:${ALICE},bob:${BOB}` });
  alice = new Client({ apiUrl: api.url, apiKey: ALICE });
  bob = new Client({ apiUrl: api.url, apiKey: BOB });
});
afterAll(async () => {
  await api?.stop();
  await sim?.close();
});
beforeEach(() => sim.control.reset());

type Values = { messages: Message[] };
type Part = { event: string; data: unknown };

/** Streams one run and collects its events. */
async function streamRun(
  client: Client,
  threadId: string | null,
  payload: Record<string, unknown>,
): Promise<{ parts: Part[]; runId?: string }> {
  const parts: Part[] = [];
  let runId: string | undefined;
  const options = { ...payload, onRunCreated: (meta: { run_id: string }) => (runId = meta.run_id) } as never;
  const stream = threadId === null ? client.runs.stream(null, 'agent', options) : client.runs.stream(threadId, 'agent', options);
  for await (const part of stream) parts.push(part as Part);
  return { parts, runId };
}

const human = (content: unknown) => ({ input: { messages: [{ type: 'human', content }] }, context: { model: MODEL } });
const texts = (values: Values) =>
  values.messages.map((m) => `${m.type}: ${typeof m.content === 'string' ? m.content : JSON.stringify(m.content)}`);
const hubChats = () =>
  sim.control.requests
    .filter((r) => r.path === '/v1/chat/completions')
    .map((r) => JSON.parse(r.body) as { messages: { role: string; content: unknown }[] });

describe('the served graph', () => {
  it('answers /ok and /info, and lists its one assistant under LangGraph\'s id for "agent"', async () => {
    expect(await (await fetch(`${api.url}/ok`, { headers: { 'x-api-key': ALICE } })).json()).toEqual({ ok: true });
    const info = (await (await fetch(`${api.url}/info`, { headers: { 'x-api-key': ALICE } })).json()) as { flags: Record<string, boolean> };
    expect(info.flags).toMatchObject({ assistants: true, crons: false });
    const [assistant, ...others] = await alice.assistants.search({ graphId: 'agent' });
    expect(others).toEqual([]);
    expect(assistant).toMatchObject({ assistant_id: ASSISTANT_ID, graph_id: 'agent' });
    expect(await alice.assistants.get(ASSISTANT_ID)).toMatchObject({ graph_id: 'agent' });
    expect(await alice.assistants.search({ graphId: 'other' })).toEqual([]);
    await expect(alice.assistants.get('nope')).rejects.toMatchObject({ status: 404 });
  });

  it('takes the key as x-api-key (the SDK) or Bearer, and refuses a request without one (401)', async () => {
    expect((await fetch(`${api.url}/ok`, { headers: { authorization: `Bearer ${ALICE}` } })).status).toBe(200);
    expect((await fetch(`${api.url}/ok`)).status).toBe(401);
    expect((await fetch(`${api.url}/ok`, { headers: { 'x-api-key': 'wrong-key-0123456789abcdef' } })).status).toBe(403);
    // The OpenAI routes keep to Bearer, as OpenAI clients send it.
    expect((await fetch(`${api.url}/v1/models`, { headers: { 'x-api-key': ALICE } })).status).toBe(401);
  });
});

describe('a thread', () => {
  it('streams a run in each stream mode, saves it, and continues it with the whole conversation', async () => {
    const thread = await alice.threads.create({ metadata: { topic: 'greetings' } });
    expect(thread).toMatchObject({ status: 'idle', metadata: { topic: 'greetings' }, values: {} });

    const first = await streamRun(alice, thread.thread_id, {
      ...human('Hello there'),
      streamMode: ['values', 'messages-tuple', 'updates', 'custom'],
    });
    const events = first.parts.map((p) => p.event);
    expect(events[0]).toBe('metadata');
    expect(first.parts[0]?.data).toMatchObject({ run_id: first.runId }); // Content-Location named the same run
    expect(events).toContain('values');
    expect(events).toContain('updates');
    expect(events).not.toContain('error');
    // Tokens arrive as [message chunk, metadata] pairs of one message id, and add up to the saved answer.
    const tokens = first.parts.filter((p) => p.event === 'messages') as {
      data: [Message & { content: string }, Record<string, unknown>];
    }[];
    expect(tokens.length).toBeGreaterThan(2);
    expect(new Set(tokens.map((t) => t.data[0].id)).size).toBe(1);
    expect(tokens[0]?.data[1]).toMatchObject({ langgraph_node: 'agent', thread_id: thread.thread_id });
    const finalValues = first.parts.filter((p) => p.event === 'values').at(-1)?.data as Values;
    expect(texts(finalValues)).toEqual(['human: Hello there', `ai: Simulated answer from ${MODEL}: you said "Hello there".`]);
    expect(tokens.map((t) => t.data[0].content).join('')).toBe(finalValues.messages[1]?.content);
    expect(finalValues.messages[1]?.id).toBe(tokens[0]?.data[0].id);
    expect(JSON.stringify(first.parts)).not.toContain('alice/'); // the checkpointer's own thread id stays inside

    const state = await alice.threads.getState<Values>(thread.thread_id);
    expect(texts(state.values)).toEqual(texts(finalValues));
    expect(state.checkpoint).toMatchObject({ thread_id: thread.thread_id, checkpoint_ns: '' });
    expect(state.next).toEqual([]);

    await streamRun(alice, thread.thread_id, { ...human('And again'), streamMode: 'values' });
    const sent = hubChats().at(-1);
    expect(sent?.messages.map((m) => m.content)).toEqual(expect.arrayContaining(['Hello there', 'And again']));
    const after = await alice.threads.get<Values>(thread.thread_id);
    expect(texts(after.values)).toHaveLength(4);
    expect(after.metadata).toMatchObject({ topic: 'greetings', graph_id: 'agent', assistant_id: ASSISTANT_ID });
    expect(after.config).toMatchObject({ configurable: { model: MODEL } });

    // History: newest first, each state with its checkpoint and parent; `before` and `limit` page it.
    const history = await alice.threads.getHistory<Values>(thread.thread_id, { limit: 100 });
    expect(history).toHaveLength(6); // input, after input, after the answer: per turn
    expect(history.map((h) => h.values.messages?.length ?? 0)).toEqual([4, 3, 2, 2, 1, 0]);
    expect(history[0]?.parent_checkpoint?.checkpoint_id).toBe(history[1]?.checkpoint.checkpoint_id);
    expect(history.every((h) => typeof h.created_at === 'string' && h.metadata?.thread_id === thread.thread_id)).toBe(true);
    const page = await alice.threads.getHistory<Values>(thread.thread_id, {
      limit: 2,
      before: { configurable: { checkpoint_id: history[1]?.checkpoint.checkpoint_id } },
    });
    expect(page.map((h) => h.checkpoint.checkpoint_id)).toEqual([
      history[2]?.checkpoint.checkpoint_id,
      history[3]?.checkpoint.checkpoint_id,
    ]);
  });

  it('forks from an earlier checkpoint: regenerate an answer, edit a message (a branch, not a duplicate turn)', async () => {
    const thread = await alice.threads.create();
    await streamRun(alice, thread.thread_id, human('First question'));
    const history = await alice.threads.getHistory<Values>(thread.thread_id, { limit: 10 });
    // Regenerate: run again from the state before the answer (the parent of the state the answer first appears in).
    const answered = history.filter((h) => h.values.messages?.length === 2).at(-1) as ThreadState<Values>;
    sim.control.chatReplies.push({ content: 'A second answer' });
    await streamRun(alice, thread.thread_id, { checkpoint: answered.parent_checkpoint, context: { model: MODEL } });
    let state = await alice.threads.getState<Values>(thread.thread_id);
    expect(texts(state.values)).toEqual(['human: First question', 'ai: A second answer']);

    // Edit: send a changed first message from the state before it was sent.
    const asked = (await alice.threads.getHistory<Values>(thread.thread_id, { limit: 20 }))
      .filter((h) => h.values.messages?.length === 1)
      .at(-1) as ThreadState<Values>;
    await streamRun(alice, thread.thread_id, { ...human('Edited question'), checkpoint: asked.parent_checkpoint });
    state = await alice.threads.getState<Values>(thread.thread_id);
    expect(texts(state.values)).toEqual(['human: Edited question', `ai: Simulated answer from ${MODEL}: you said "Edited question".`]);

    const unknown = { checkpoint_id: '1f000000-0000-6000-8000-000000000000', checkpoint_ns: '' };
    await expect(streamRun(alice, thread.thread_id, { checkpoint: unknown, context: { model: MODEL } })).rejects.toMatchObject({
      status: 404,
    });
  });

  it('belongs to its consumer: another one gets 404 for it and finds it in no search', async () => {
    const thread = await alice.threads.create({ metadata: { owner: 'alice' } });
    await streamRun(alice, thread.thread_id, human('Private question'));
    const found = await alice.threads.search({ metadata: { graph_id: 'agent', owner: 'alice' } });
    expect(found.map((t) => t.thread_id)).toContain(thread.thread_id);
    expect(found.find((t) => t.thread_id === thread.thread_id)?.values).toMatchObject({
      messages: [{ type: 'human', content: 'Private question' }],
    });
    expect(await bob.threads.search({ metadata: { owner: 'alice' } })).toEqual([]);
    await expect(bob.threads.get(thread.thread_id)).rejects.toMatchObject({ status: 404 });
    await expect(bob.threads.getState(thread.thread_id)).rejects.toMatchObject({ status: 404 });
    await expect(bob.threads.getHistory(thread.thread_id)).rejects.toMatchObject({ status: 404 });
    await expect(bob.threads.delete(thread.thread_id)).rejects.toMatchObject({ status: 404 });
    await expect(streamRun(bob, thread.thread_id, human('Mine now?'))).rejects.toMatchObject({ status: 404 });
    // The same id is a different thread for bob.
    const bobs = await bob.threads.create({ threadId: thread.thread_id });
    expect(bobs.thread_id).toBe(thread.thread_id);
    expect((await bob.threads.getState<Values>(thread.thread_id)).values).toEqual({});
    expect(texts((await alice.threads.getState<Values>(thread.thread_id)).values)).toHaveLength(2);
  });

  it("updates a thread's metadata (merged, found by search), its owner's only, and not while a run holds it", async () => {
    const thread = await alice.threads.create({ metadata: { owner: 'alice', topic: 'draft' } });
    const updated = await alice.threads.update(thread.thread_id, { metadata: { topic: 'final', starred: true } });
    expect(updated.metadata).toEqual({ owner: 'alice', topic: 'final', starred: true });
    expect(updated.updated_at > thread.updated_at).toBe(true);
    expect((await alice.threads.get(thread.thread_id)).metadata).toEqual({ owner: 'alice', topic: 'final', starred: true });
    expect((await alice.threads.search({ metadata: { topic: 'final', starred: true } })).map((t) => t.thread_id)).toEqual([
      thread.thread_id,
    ]);
    await expect(bob.threads.update(thread.thread_id, { metadata: { owner: 'bob' } })).rejects.toMatchObject({ status: 404 });
    await expect(alice.threads.update(thread.thread_id, { metadata: {}, ttl: 5 })).rejects.toMatchObject({ status: 400 });

    sim.control.faults.push({ path: '/v1/chat/completions', latencyMs: 1_000 });
    const running = streamRun(alice, thread.thread_id, human('Slow question'));
    await new Promise((r) => setTimeout(r, 400));
    await expect(alice.threads.update(thread.thread_id, { metadata: { topic: 'lost?' } })).rejects.toMatchObject({ status: 409 });
    await running;
    // The run's end kept the metadata it found, with what the run adds; an update answers the thread as GET does.
    expect((await alice.threads.get(thread.thread_id)).metadata).toMatchObject({ topic: 'final', starred: true, graph_id: 'agent' });
    const after = await alice.threads.update(thread.thread_id, { metadata: { topic: 'answered' } });
    expect(after.metadata).toMatchObject({ topic: 'answered', graph_id: 'agent' });
    expect(texts(after.values as Values)).toEqual([
      'human: Slow question',
      `ai: Simulated answer from ${MODEL}: you said "Slow question".`,
    ]);
  });

  it('searches newest first, pages with limit and offset, and deletes (then 404)', async () => {
    const tag = `run-${Date.now()}`;
    const made = [];
    for (let i = 0; i < 3; i++) made.push((await alice.threads.create({ metadata: { tag } })).thread_id);
    const found = await alice.threads.search({ metadata: { tag } });
    expect(found.map((t) => t.thread_id)).toEqual([...made].reverse());
    expect((await alice.threads.search({ metadata: { tag }, limit: 1, offset: 1 })).map((t) => t.thread_id)).toEqual([made[1]]);
    expect((await alice.threads.search({ metadata: { tag }, sortBy: 'created_at', sortOrder: 'asc' })).map((t) => t.thread_id)).toEqual(
      made,
    );
    await alice.threads.delete(made[0] as string);
    await expect(alice.threads.get(made[0] as string)).rejects.toMatchObject({ status: 404 });
    expect((await alice.threads.search({ metadata: { tag } })).map((t) => t.thread_id)).toEqual([made[2], made[1]]);
    await expect(alice.threads.create({ threadId: made[1] })).rejects.toMatchObject({ status: 409 });
    expect((await alice.threads.create({ threadId: made[1], ifExists: 'do_nothing' })).thread_id).toBe(made[1]);
  });

  it('rejects a second run while one is running (409), then takes the next one', async () => {
    const thread = await alice.threads.create();
    sim.control.faults.push({ path: '/v1/chat/completions', latencyMs: 1_500 });
    const first = streamRun(alice, thread.thread_id, human('Slow question'));
    await new Promise((r) => setTimeout(r, 500));
    expect((await alice.threads.get(thread.thread_id)).status).toBe('busy');
    await expect(streamRun(alice, thread.thread_id, human('Impatient question'))).rejects.toMatchObject({ status: 409 });
    await first;
    expect((await alice.threads.get(thread.thread_id)).status).toBe('idle');
    await streamRun(alice, thread.thread_id, human('Next question'));
    expect(texts((await alice.threads.getState<Values>(thread.thread_id)).values)).toHaveLength(4);
  });

  it('finishes and saves a run whose client left with on_disconnect "continue"; "cancel" stops it', async () => {
    const thread = await alice.threads.create();
    sim.control.faults.push({ path: '/v1/chat/completions', latencyMs: 1_000 });
    const leave = new AbortController();
    const stream = alice.runs.stream(thread.thread_id, 'agent', {
      ...human('Answer while I am gone'),
      onDisconnect: 'continue',
      signal: leave.signal,
    } as never);
    for await (const part of stream) if ((part as Part).event === 'metadata') leave.abort();
    let values: Values | undefined;
    for (let i = 0; i < 50 && (values?.messages?.length ?? 0) < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      values = (await alice.threads.getState<Values>(thread.thread_id)).values;
    }
    expect(texts(values as Values)).toEqual([
      'human: Answer while I am gone',
      `ai: Simulated answer from ${MODEL}: you said "Answer while I am gone".`,
    ]);
    expect((await alice.threads.get(thread.thread_id)).status).toBe('idle');
  });

  it('runs a thread on a fine-tuned Studio model named in context.model, and refuses an unknown model (400)', async () => {
    const thread = await alice.threads.create();
    const uuid = STUDIO_MODELS['qwen-gdpr-demo'] as string;
    const done = await alice.runs.wait(thread.thread_id, 'agent', {
      input: { messages: [{ type: 'human', content: 'Hi Studio' }] },
      context: { model: uuid },
    });
    const values = done as Values;
    expect(values.messages).toHaveLength(2);
    expect(sim.control.requests.some((r) => r.path.includes('/studio') || r.path.includes('/models/'))).toBe(true);
    expect(hubChats()).toHaveLength(0);
    await expect(alice.runs.wait(thread.thread_id, 'agent', { ...human('x'), context: { model: 'not a model' } })).rejects.toMatchObject({
      status: 400,
    });
  });
});

describe('what a run takes', () => {
  it('sends an uploaded image to the Hub as an image part, and refuses a PDF it cannot read (400 naming it)', async () => {
    const thread = await alice.threads.create();
    const png = Buffer.from('89504e470d0a1a0a', 'hex').toString('base64');
    await streamRun(
      alice,
      thread.thread_id,
      human([
        { type: 'text', text: 'What is this?' },
        { type: 'image', mimeType: 'image/png', data: png },
      ]),
    );
    const parts = hubChats().at(-1)?.messages.at(-1)?.content as { type: string; image_url?: { url: string } }[];
    expect(parts).toEqual([
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
    ]);
    const file = { type: 'file', mimeType: 'application/pdf', data: png, metadata: { filename: 'report.pdf' } };
    const refused = await fetch(`${api.url}/threads/${thread.thread_id}/runs/wait`, {
      method: 'POST',
      headers: { 'x-api-key': ALICE, 'content-type': 'application/json' },
      body: JSON.stringify({ assistant_id: 'agent', input: { messages: [{ type: 'human', content: [file] }] } }),
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string; param: string } }).error).toMatchObject({
      param: 'input.messages[0].content[0]',
      message: expect.stringContaining('report.pdf'),
    });
  });

  it('refuses what it cannot do with a 400 naming it, and names what it ignores', async () => {
    const thread = await alice.threads.create();
    const post = (path: string, body: Record<string, unknown>) =>
      fetch(`${api.url}${path}`, {
        method: 'POST',
        headers: { 'x-api-key': ALICE, 'content-type': 'application/json' },
        body: JSON.stringify({ assistant_id: 'agent', ...body }),
      });
    const cases: [string, Record<string, unknown>, string][] = [
      [`/threads/${thread.thread_id}/runs`, human('x'), 'Background runs'],
      [`/threads/${thread.thread_id}/runs/wait`, { ...human('x'), command: { resume: 'yes' } }, 'command'],
      [`/threads/${thread.thread_id}/runs/wait`, { ...human('x'), interrupt_before: ['tools'] }, 'interrupt_before'],
      [`/threads/${thread.thread_id}/runs/stream`, { ...human('x'), stream_mode: ['debug'] }, 'stream_mode'],
      [`/threads/${thread.thread_id}/runs/stream`, { ...human('x'), multitask_strategy: 'enqueue' }, 'multitask_strategy'],
      [`/threads/${thread.thread_id}/runs/wait`, { ...human('x'), webhook: 'https://example.com/hook' }, 'webhook'],
      ['/runs/crons', { schedule: '* * * * *' }, 'Crons'],
      ['/runs/wait', { ...human('x'), on_completion: 'keep' }, 'on_completion'],
    ];
    for (const [path, body, named] of cases) {
      const answer = await post(path, body);
      expect(answer.status, path).toBe(400);
      expect(JSON.stringify(await answer.json())).toContain(named);
    }
    const joined = await fetch(`${api.url}/threads/${thread.thread_id}/runs/00000000-0000-4000-8000-000000000000/stream`, {
      headers: { 'x-api-key': ALICE },
    });
    expect(joined.status).toBe(400);
    const ignored = await post(`/threads/${thread.thread_id}/runs/wait`, { ...human('x'), feedback_keys: ['score'], something_new: 1 });
    expect(ignored.status).toBe(200);
    expect(ignored.headers.get('x-ignored-parameters')).toBe('something_new, feedback_keys');
    expect(ignored.headers.get('content-location')).toMatch(new RegExp(`^/threads/${thread.thread_id}/runs/[0-9a-f-]{36}$`));
  });

  it('runs statelessly on /runs/wait and /runs/stream, keeping no thread', async () => {
    const before = (await alice.threads.search({ limit: 1000 })).length;
    const values = (await alice.runs.wait(null, 'agent', human('Stateless question'))) as Values;
    expect(texts(values)).toEqual(['human: Stateless question', `ai: Simulated answer from ${MODEL}: you said "Stateless question".`]);
    const streamed = await streamRun(alice, null, { ...human('Streamed stateless'), streamMode: ['messages-tuple'] });
    expect(streamed.parts.filter((p) => p.event === 'messages').length).toBeGreaterThan(2);
    expect((await alice.threads.search({ limit: 1000 })).length).toBe(before);
  });

  it("counts a thread run's model calls in the consumer's usage", async () => {
    const usage = async () =>
      (await (await fetch(`${api.url}/v1/usage`, { headers: { authorization: `Bearer ${ALICE}` } })).json()) as {
        total?: { tokens?: number };
        data?: unknown;
      };
    const before = JSON.stringify(await usage());
    const thread = await alice.threads.create();
    await streamRun(alice, thread.thread_id, human('Count me'));
    let after = before;
    for (let i = 0; i < 20 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = JSON.stringify(await usage());
    }
    expect(after).not.toBe(before);
  });
});
