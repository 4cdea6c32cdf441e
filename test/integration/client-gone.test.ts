// Clients that leave before the answer's head, against `npm start` in its own process (a crash there is an
// exit, which the in-process servers of other tests would hide): the process keeps serving, and the
// upstream work stops. Found by hand: `GET /v1/models` with a slow upstream and `curl -m 1` ended npm start.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { STUDIO_MODELS } from '#infra/offline/ionos-simulator/catalogue.ts';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { startTestSimulator } from '#test/helpers/sentinels.ts';
import { spawnApi, type SpawnedApi } from '#test/helpers/spawn-api.ts';

const CHAT = 'mistralai/Mistral-Small-24B-Instruct';
const STUDIO = STUDIO_MODELS['qwen-gdpr-demo'] as string;
const human = JSON.stringify({ messages: [{ type: 'human', content: 'Hi' }] });
let sim: Simulator;
let api: SpawnedApi;

beforeAll(async () => {
  sim = await startTestSimulator();
  api = await spawnApi(sim);
});
afterAll(async () => {
  expect(await api.stop()).toBe(0); // and it still ends cleanly
  await sim.close();
});
beforeEach(() => {
  sim.control.reset();
  sim.control.studioPollsBeforeDone = 1;
});

/** Sends a request and leaves 150 ms later, before the answer is complete (for most routes, before its head). */
async function leaveEarly(path: string, init: RequestInit): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 150);
  const body = await fetch(`${api.url}${path}`, { ...init, signal: controller.signal })
    .then((res) => res.text())
    .catch(() => undefined);
  clearTimeout(timer);
  expect(body).toBeUndefined(); // it left before the answer was complete
}

describe('a client that leaves before the answer', () => {
  it.each([
    ['GET /v1/models', '/v1/models', { method: 'GET' }, '/v1/models'],
    [
      'a buffered chat completion',
      '/v1/chat/completions',
      { method: 'POST', body: JSON.stringify({ model: CHAT, messages: [{ role: 'user', content: 'Hi' }] }) },
      '/v1/chat/completions',
    ],
    [
      'a streamed chat completion',
      '/v1/chat/completions',
      { method: 'POST', body: JSON.stringify({ model: CHAT, stream: true, messages: [{ role: 'user', content: 'Hi' }] }) },
      '/v1/chat/completions',
    ],
    ['a buffered agent run', '/', { method: 'POST', headers: { 'x-model-id': CHAT }, body: human }, '/v1/chat/completions'],
    ['a streamed agent run', '/?stream=true', { method: 'POST', headers: { 'x-model-id': CHAT }, body: human }, '/v1/chat/completions'],
  ])('leaves npm start serving and closes the upstream call: %s', async (_name, path, init, upstreamPath) => {
    sim.control.faults.push({ path: upstreamPath, latencyMs: 1_500 });
    await leaveEarly(path, init as RequestInit);
    await vi.waitFor(() => expect(sim.control.requests.find((r) => r.path === upstreamPath)?.clientClosedEarly).toBe(true), {
      timeout: 3_000,
    });
    expect((await fetch(`${api.url}/studio/models`)).status).toBe(200);
  });

  it('closes the upstream stream when a Responses API client leaves mid-stream', async () => {
    sim.control.streamDelayMs = 100;
    sim.control.chatReplies.push({ content: 'one two three four five six seven eight nine ten eleven twelve' });
    try {
      const controller = new AbortController();
      const res = await fetch(`${api.url}/v1/responses`, {
        method: 'POST',
        body: JSON.stringify({ model: CHAT, input: 'Count', stream: true }),
        signal: controller.signal,
      });
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let seen = '';
      while (!seen.includes('response.output_text.delta')) seen += decoder.decode((await reader.read()).value);
      controller.abort(); // mid-stream: events were read, the answer is not complete
      await vi.waitFor(() => expect(sim.control.requests.find((r) => r.path === '/v1/chat/completions')?.clientClosedEarly).toBe(true), {
        timeout: 3_000,
      });
      expect(seen).not.toContain('response.completed');
    } finally {
      sim.control.streamDelayMs = 0;
    }
    expect((await fetch(`${api.url}/studio/models`)).status).toBe(200);
  });

  it('stops polling a Studio job via /v1 when the client leaves', async () => {
    sim.control.studioPollsBeforeDone = 1_000;
    await leaveEarly('/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({ model: STUDIO, messages: [{ role: 'user', content: 'Hallo' }] }),
    });
    await new Promise((r) => setTimeout(r, 300)); // a poll that was under way may still land
    const polls = () => sim.control.requests.filter((r) => r.method === 'GET' && r.path.includes('/generate/')).length;
    const settled = polls();
    await new Promise((r) => setTimeout(r, 2_500)); // more than the longest poll interval
    expect(polls()).toBe(settled);
    expect((await fetch(`${api.url}/studio/models`)).status).toBe(200);
  });
});
