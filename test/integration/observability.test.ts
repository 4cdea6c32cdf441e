// What ops see, through the local server with metrics on and API keys required: metric dimensions come from
// the route table, the agent reports tokens like the proxy, a failed streamed run is logged and counted
// (it answered 200, so API Gateway's 5xx metric never sees it), and log lines name the consumer.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { keyFingerprint } from '#shared/http/api-key.ts';
import { captureLines } from '#test/helpers/capture-lines.ts';
import { startLocalStack, type LocalStack } from '#test/helpers/local-stack.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
});

const KEY = 'observability-test-key-0123456789';
const CHAT = 'mistralai/Mistral-Small-24B-Instruct';
let stack: LocalStack;
let sim: Simulator;

beforeAll(async () => {
  stack = await startLocalStack({ LOCAL_API_KEYS: KEY });
  ({ sim } = stack);
});
afterAll(() => stack.close());
beforeEach(() => sim.control.reset());

const call = (path: string, init: RequestInit = {}) =>
  fetch(`${stack.api.url}${path}`, { ...init, headers: { authorization: `Bearer ${KEY}`, ...(init.headers as Record<string, string>) } });

const emf = (lines: Record<string, unknown>[], metric: string) => lines.filter((l) => '_aws' in l && metric in l);

describe('metrics and logs', () => {
  it("uses the route table's path as the route dimension, never the client's path", async () => {
    const { lines } = await captureLines(async () => {
      for (const path of ['/v1/x-7f3a91', '/v1/y-0c44be', '/v1/images%2Fgenerations'])
        await (await call(path, { method: 'POST', body: '{}' })).text();
    });
    const routes = emf(lines, 'Requests').map((l) => l.route);
    expect(routes).toEqual(['unknown', 'unknown', 'unknown']);
    expect(JSON.stringify(emf(lines, 'Requests'))).not.toMatch(/7f3a91|0c44be/);
  });

  it("gives the agent token metrics like the proxy's, by route, model and status class", async () => {
    const { lines } = await captureLines(async () => {
      await (
        await call('/', {
          method: 'POST',
          headers: { 'x-model-id': CHAT },
          body: JSON.stringify({ messages: [{ type: 'human', content: 'Hi' }] }),
        })
      ).text();
    });
    expect(emf(lines, 'PromptTokens')[0]).toMatchObject({
      route: '/',
      model: CHAT,
      statusClass: '2xx',
      service: expect.any(String),
      Requests: 1,
      PromptTokens: expect.any(Number),
      CompletionTokens: expect.any(Number),
    });
    expect(lines.find((l) => l.message === 'agent run')).toMatchObject({
      model: CHAT,
      mode: 'buffered',
      status: 200,
      consumer: keyFingerprint(KEY),
    });
  });

  it('logs and counts a streamed run that fails after its 200, with its error type and the consumer', async () => {
    sim.control.faults.push({ path: '/v1/chat/completions', status: 500, times: 5 });
    const { lines } = await captureLines(async () => {
      const res = await call('/?stream=true', {
        method: 'POST',
        headers: { 'x-model-id': CHAT },
        body: JSON.stringify({ messages: [{ type: 'human', content: 'Hi' }] }),
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('"type":"upstream_error"');
    });
    expect(lines.find((l) => l.message === 'agent run failed')).toMatchObject({
      level: 'ERROR',
      mode: 'stream',
      status: 502,
      errorType: 'upstream_error',
      consumer: keyFingerprint(KEY),
    });
    expect(emf(lines, 'FailedRuns')[0]).toMatchObject({ errorType: 'upstream_error', mode: 'stream', statusClass: '5xx', FailedRuns: 1 });
    expect(emf(lines, 'StreamServerErrors')[0]).toMatchObject({ StreamServerErrors: 1 });
    expect(JSON.stringify(lines)).not.toContain(KEY);
  });

  it('names the consumer in the log line of a proxied stream, written after the handler returned', async () => {
    const { lines } = await captureLines(async () => {
      await (
        await call('/v1/chat/completions', {
          method: 'POST',
          body: JSON.stringify({ model: CHAT, stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
        })
      ).text();
    });
    expect(lines.find((l) => l.message === 'proxied')).toMatchObject({
      consumer: keyFingerprint(KEY),
      route: '/v1/chat/completions',
      outcome: 'complete',
    });
  });
});
