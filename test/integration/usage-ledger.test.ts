// The usage ledger through `npm start` (spawned, with its embedded DynamoDB-compatible store): exact counts
// under concurrency, streams metered without the client seeing a usage chunk it did not ask for, each
// consumer seeing only its own usage (a store that fails: budgets-and-contract.test.ts).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSimulator, type Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { spawnApi, type SpawnedApi } from '#test/helpers/spawn-api.ts';

const ALICE = 'aliceKey0123456789abcdefXYZ';
const BOB = 'bobKey0123456789abcdefXYZ00';
const CHAT = 'mistralai/Mistral-Small-24B-Instruct';
const messages = [{ role: 'user', content: 'How many tokens is this?' }];

let sim: Simulator;
let api: SpawnedApi;

beforeAll(async () => {
  sim = await startSimulator({ rateLimit: { rps: 0, burst: 0 } });
  api = await spawnApi(sim, { LOCAL_API_KEYS: `alice:${ALICE},bob:${BOB}` });
});
afterAll(async () => {
  await api.stop();
  await sim.close();
});

const post = (key: string, body: object) =>
  fetch(`${api.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: CHAT, messages, ...body }),
  });
const usage = async (key: string) => {
  const res = await fetch(`${api.url}/v1/usage`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { consumer: string; today: Record<string, unknown>; this_month: Record<string, unknown> };
};
/** Usage once `requests` reached `count`: entries are written just after each answer, so a read may precede the last ones (bounded wait). */
const usageAfter = (key: string, count: number) =>
  vi.waitFor(
    async () => {
      const read = await usage(key);
      expect(read.today.requests).toBeGreaterThanOrEqual(count);
      return read;
    },
    { timeout: 5_000, interval: 100 },
  );
/** The `data:` payloads of an SSE body. */
const events = (text: string) =>
  text
    .split('\n\n')
    .filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]')
    .map((e) => JSON.parse(e.slice(6)) as { choices: unknown[]; usage?: unknown });

describe('usage ledger', () => {
  it('records every request of parallel buffered and streamed calls exactly, and streams without a usage chunk nobody asked for', async () => {
    const one = (await (await post(ALICE, {})).json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
    const bodies = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const res = await post(ALICE, i % 2 === 0 ? {} : { stream: true });
        expect(res.status).toBe(200);
        return res.text();
      }),
    );
    for (const streamed of bodies.filter((_, i) => i % 2 === 1)) {
      const chunks = events(streamed);
      expect(chunks.length).toBeGreaterThan(2);
      expect(chunks.some((c) => c.usage !== undefined || c.choices.length === 0)).toBe(false);
      expect(streamed.trimEnd().endsWith('data: [DONE]')).toBe(true);
    }
    const { today, this_month: month } = await usageAfter(ALICE, 25);
    const expected = {
      requests: 25,
      failed: 0,
      prompt_tokens: 25 * one.usage.prompt_tokens,
      completion_tokens: 25 * one.usage.completion_tokens,
      total_tokens: 25 * (one.usage.prompt_tokens + one.usage.completion_tokens),
    };
    expect(today).toMatchObject({ period: new Date().toISOString().slice(0, 10), ...expected });
    expect(month).toMatchObject({ period: new Date().toISOString().slice(0, 7), ...expected });
    expect(today.models).toEqual({ [CHAT]: expect.objectContaining(expected) });
  });

  it('still gives the usage chunk to a client that asked for it', async () => {
    const text = await (await post(BOB, { stream: true, stream_options: { include_usage: true } })).text();
    expect(events(text).at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: expect.any(Number) } });
  });

  it("shows each consumer only its own usage, and records a request IONOS refused as failed under 'unverified'", async () => {
    const before = (await usageAfter(BOB, 1)).today as { requests: number };
    const refused = await post(BOB, { model: 'no-such/model' });
    expect(refused.status).toBe(404);
    await refused.text();
    const { consumer, today } = await usageAfter(BOB, before.requests + 1);
    expect(consumer).toBe('bob');
    expect(today).toMatchObject({ requests: before.requests + 1, failed: 1 });
    expect(Object.keys(today.models as object).sort()).toEqual([CHAT, 'unverified']);
    expect((await usage(ALICE)).today).toMatchObject({ requests: 25, failed: 0 });
  });
});
