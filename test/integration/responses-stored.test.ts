// Stored Responses API responses through the local API with the embedded DynamoDB-compatible store:
// continuing a conversation by previous_response_id (buffered and streamed), GET and DELETE for the
// consumer who made it and 404 for any other, and store: false storing nothing.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EMBEDDED_AWS_ENV, startEmbeddedDynamo, type EmbeddedDynamo } from '#infra/offline/dynamodb.ts';
import { startLocalStack, type LocalStack } from '#test/helpers/local-stack.ts';

const CHAT = 'mistralai/Mistral-Small-24B-Instruct';
const ALICE = 'aliceKey0123456789abcdefXYZ';
const BOB = 'bobKey0123456789abcdefXYZ00';
let store: EmbeddedDynamo;
let stack: LocalStack;
let alice: OpenAI;
let bob: OpenAI;

beforeAll(async () => {
  store = await startEmbeddedDynamo();
  stack = await startLocalStack({
    ...EMBEDDED_AWS_ENV,
    USAGE_TABLE: store.tableName,
    DYNAMODB_ENDPOINT: store.endpoint,
    LOCAL_API_KEYS: `alice:${ALICE},bob:${BOB}`,
    IONOS_REQUESTS_PER_SECOND: '0',
    PROXY_MAX_REQUEST_BYTES: '65536',
  });
  const client = (key: string) => new OpenAI({ baseURL: `${stack.api.url}/v1`, apiKey: key, maxRetries: 0 });
  alice = client(ALICE);
  bob = client(BOB);
});
afterAll(async () => {
  await stack.close();
  await store.close();
});
beforeEach(() => stack.sim.control.reset());

const lastMessages = () =>
  (JSON.parse(stack.sim.control.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)?.body ?? '{}') as { messages: unknown[] })
    .messages;
/** Stored after the answer: a read right away may precede the write (bounded wait). */
const retrieved = (client: OpenAI, id: string) => vi.waitFor(() => client.responses.retrieve(id), { timeout: 2_500, interval: 50 });
const status = (err: unknown) => (err as { status?: number }).status;

describe('stored responses', () => {
  it('continues a conversation by previous_response_id, buffered and streamed', async () => {
    stack.sim.control.chatReplies.push({ content: 'Sunny today.' });
    const first = await alice.responses.create({ model: CHAT, instructions: 'Be brief.', input: 'Weather in Berlin?' });
    expect((first as unknown as { store: boolean }).store).toBe(true);
    await retrieved(alice, first.id);

    stack.sim.control.chatReplies.push({ content: 'Rain tomorrow.' });
    const second = await alice.responses.create({
      model: CHAT,
      previous_response_id: first.id,
      input: 'And tomorrow?',
      instructions: 'Be very brief.',
    });
    expect(second.previous_response_id).toBe(first.id);
    // The new instructions, then the stored conversation (without the old instructions), then the new input.
    expect(lastMessages()).toEqual([
      { role: 'system', content: 'Be very brief.' },
      { role: 'user', content: 'Weather in Berlin?' },
      { role: 'assistant', content: 'Sunny today.' },
      { role: 'user', content: 'And tomorrow?' },
    ]);
    await retrieved(alice, second.id);

    stack.sim.control.chatReplies.push({ content: 'Windy on Sunday.' });
    const stream = alice.responses.stream({ model: CHAT, previous_response_id: second.id, input: 'And Sunday?' });
    const third = await stream.finalResponse();
    expect(third.output_text).toBe('Windy on Sunday.');
    await retrieved(alice, third.id);
    stack.sim.control.chatReplies.push({ content: 'Done.' });
    await alice.responses.create({ model: CHAT, previous_response_id: third.id, input: 'Thanks' });
    expect(lastMessages()).toHaveLength(7);
  });

  it('serves GET and DELETE to the consumer who made it, and 404 to anyone else', async () => {
    const made = await alice.responses.create({ model: CHAT, input: 'Mine' });
    const read = await retrieved(alice, made.id);
    expect(read).toMatchObject({ id: made.id, object: 'response', status: 'completed', output: made.output });

    expect(status(await bob.responses.retrieve(made.id).catch((e: unknown) => e))).toBe(404);
    expect(status(await bob.responses.delete(made.id).catch((e: unknown) => e))).toBe(404);
    const borrowed = await bob.responses.create({ model: CHAT, previous_response_id: made.id, input: 'Steal' }).catch((e: unknown) => e);
    expect(borrowed).toBeInstanceOf(OpenAI.NotFoundError);
    expect((borrowed as InstanceType<typeof OpenAI.NotFoundError>).error).toMatchObject({
      code: 'response_not_found',
      param: 'previous_response_id',
    });

    const deleted = await fetch(`${stack.api.url}/v1/responses/${made.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ALICE}` },
    });
    expect(await deleted.json()).toEqual({ id: made.id, object: 'response', deleted: true });
    expect(status(await alice.responses.retrieve(made.id).catch((e: unknown) => e))).toBe(404);
  });

  it('meters responses in the usage ledger like chat completions', async () => {
    const usage = async () =>
      (
        (await (await fetch(`${stack.api.url}/v1/usage`, { headers: { authorization: `Bearer ${BOB}` } })).json()) as {
          today: { requests: number; total_tokens: number };
        }
      ).today;
    const before = await usage();
    const made = await bob.responses.create({ model: CHAT, input: 'Count me' });
    const after = await vi.waitFor(
      async () => {
        const read = await usage();
        expect(read.requests).toBe(before.requests + 1);
        return read;
      },
      { timeout: 2_500, interval: 50 },
    );
    expect(after.total_tokens - before.total_tokens).toBe(made.usage?.total_tokens);
  });

  it('stores nothing with store: false, and refuses an id that is not ours', async () => {
    const unstored = await alice.responses.create({ model: CHAT, input: 'Forget me', store: false });
    expect((unstored as unknown as { store: boolean }).store).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(status(await alice.responses.retrieve(unstored.id).catch((e: unknown) => e))).toBe(404);
    const bad = await alice.responses.create({ model: CHAT, previous_response_id: 'resp_../../x', input: 'x' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('holds a continuation to the body limit: a short request cannot send a stored conversation over it upstream', async () => {
    const long = 'All work and no play makes a long conversation. '.repeat(700); // ~34 KB, stored gzipped in a few hundred bytes
    stack.sim.control.chatReplies.push({ content: long });
    const first = await alice.responses.create({ model: CHAT, input: long });
    await retrieved(alice, first.id);
    stack.sim.control.reset();
    const refused = await alice.responses.create({ model: CHAT, previous_response_id: first.id, input: 'Go on.' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      code: 'conversation_too_large',
      param: 'previous_response_id',
    });
    expect(stack.sim.control.requests).toHaveLength(0);
  });

  it('takes store only as a boolean', async () => {
    for (const store of ['false', 0, 'yes']) {
      const res = await fetch(`${stack.api.url}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: CHAT, input: 'x', store }),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { param: 'store', message: '"store" must be a boolean.' } });
    }
  });

  it('answers store: false for a response too large to store, buffered and streamed', async () => {
    // Random text does not compress: the output alone is over what one stored item may hold.
    const random = () => Array.from({ length: 300_000 }, () => String.fromCharCode(33 + Math.floor(Math.random() * 90))).join('');
    stack.sim.control.chatReplies.push({ content: random() });
    const buffered = await alice.responses.create({ model: CHAT, input: 'Say a lot.' });
    expect((buffered as unknown as { store: boolean }).store).toBe(false);
    stack.sim.control.chatReplies.push({ content: random() });
    const stream = await alice.responses.create({ model: CHAT, input: 'Say a lot.', stream: true });
    let completed: { store?: boolean; id?: string } | undefined;
    for await (const event of stream) if (event.type === 'response.completed') completed = event.response as unknown as typeof completed;
    expect(completed?.store).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    for (const id of [buffered.id, completed?.id ?? ''])
      expect(status(await alice.responses.retrieve(id).catch((e: unknown) => e))).toBe(404);
  });
});
