// Every cell of the route × upstream-fault matrix (fault-matrix.ts) against the simulator: the documented
// status, error code and Retry-After, an error event instead of a quiet end for streams, and never a
// half-sent success. The README's table must equal the rendering of the same matrix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STUDIO_MODELS } from '#infra/offline/ionos-simulator/catalogue.ts';
import { startLocalStack, type LocalStack } from '#test/helpers/local-stack.ts';
import { parseSseData } from '#test/helpers/sse.ts';
import { FAULTS, ROUTES, type Outcome, type RouteKey } from './fault-matrix.ts';

const CHAT = 'mistralai/Mistral-Small-24B-Instruct';
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    UPSTREAM_TIMEOUT_MS: '400',
    AGENT_DEADLINE_MS: '2500',
    PROXY_DEADLINE_MS: '1000',
    STUDIO_MODELS: JSON.stringify(STUDIO_MODELS),
  });
  stack.sim.control.studioPollsBeforeDone = 0;
});
afterAll(() => stack.close());

const agentBody = (text: string) => JSON.stringify({ messages: [{ type: 'human', content: text }] });
const requests: Record<RouteKey, () => [string, RequestInit]> = {
  proxy: () => [
    '/v1/chat/completions',
    { method: 'POST', body: JSON.stringify({ model: CHAT, messages: [{ role: 'user', content: 'Hi' }] }) },
  ],
  proxyStream: () => [
    '/v1/chat/completions',
    { method: 'POST', body: JSON.stringify({ model: CHAT, stream: true, messages: [{ role: 'user', content: 'Hi' }] }) },
  ],
  agent: () => ['/', { method: 'POST', headers: { 'x-model-id': CHAT }, body: agentBody('Hi') }],
  agentStream: () => ['/?stream=true', { method: 'POST', headers: { 'x-model-id': CHAT }, body: agentBody('Hi') }],
  studio: () => ['/', { method: 'POST', headers: { 'x-model-id': STUDIO_MODELS['qwen-gdpr-demo'] as string }, body: agentBody('Hi') }],
  responses: () => ['/v1/responses', { method: 'POST', body: JSON.stringify({ model: CHAT, input: 'Hi' }) }],
  responsesStream: () => ['/v1/responses', { method: 'POST', body: JSON.stringify({ model: CHAT, input: 'Hi', stream: true }) }],
};

/** The Responses API's events (`event:` and `data:` lines), parsed. */
const responsesEvents = (text: string) =>
  text
    .split('\n\n')
    .map((block) => block.split('\n').find((l) => l.startsWith('data: ')))
    .filter((line): line is string => line !== undefined)
    .map((line) => JSON.parse(line.slice(6)) as { type: string; code?: string; message?: string });

/** Reads the answer into an Outcome, asserting on the way that nothing incomplete passes for a success. */
async function observe(route: RouteKey, res: Response): Promise<Outcome> {
  const text = await res.text();
  const retryAfter = res.headers.get('retry-after') ?? undefined;
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    expect(res.status).toBe(200);
    if (route === 'responsesStream') {
      const events = responsesEvents(text);
      expect(events[0]?.type).toBe('response.created');
      const last = events.at(-1);
      if (last?.type === 'response.completed') return { status: 200 };
      // A failure ends the stream: response.failed, then the error event, and no response.completed.
      expect(events.slice(-2).map((e) => e.type)).toEqual(['response.failed', 'error']);
      expect(last?.message).toMatch(/IONOS/);
      return { status: 200, code: last?.code, streamError: true };
    }
    const events = parseSseData(text);
    const errorAt = events.findIndex((e) => e.startsWith('{"error"'));
    if (route === 'proxyStream') {
      if (errorAt === -1) {
        expect(events.at(-1)).toBe('[DONE]');
        return { status: 200 };
      }
      expect(errorAt).toBe(events.length - 1); // the error ends the stream: no [DONE] that would read as success
      const { error } = JSON.parse(events[errorAt] as string) as { error: { code: string; message: string } };
      expect(error.message).toMatch(/IONOS/);
      return { status: 200, code: error.code, streamError: true };
    }
    // The agent's protocol (original frontend): status first, [DONE] always last, an error as {"error": "...", type, code}.
    expect(events[0]).toBe('{"status":"thinking"}');
    expect(events.at(-1)).toBe('[DONE]');
    if (errorAt === -1) return { status: 200 };
    const event = JSON.parse(events[errorAt] as string) as { error: unknown; type: string; code: string };
    expect(event.error).toEqual(expect.any(String));
    return { status: 200, ...(event.type === 'rate_limit_error' ? { type: event.type } : { code: event.code }), streamError: true };
  }
  const body = JSON.parse(text) as {
    error?: { message: string; type: string; code: string };
    choices?: unknown[];
    content?: string;
    output?: unknown[];
  };
  if (res.status < 400) {
    const whole = { proxy: body.choices?.length, responses: body.output?.length }[route as string] ?? body.content;
    expect(whole).toBeTruthy(); // a whole answer
    return { status: res.status };
  }
  expect(body.error?.message).toEqual(expect.any(String));
  expect(body.error?.type).toEqual(expect.any(String));
  const kind = res.status === 429 ? { type: body.error?.type } : { code: body.error?.code };
  return { status: res.status, ...kind, ...(retryAfter ? { retryAfter } : {}) };
}

describe('route × upstream fault', () => {
  const cells = FAULTS.flatMap((f) =>
    (Object.keys(ROUTES) as RouteKey[]).filter((r) => f.outcomes[r] !== undefined).map((r) => [f.label, r, f] as const),
  );
  it.each(cells)('%s on %s', async (_label, route, { fault, outcomes }) => {
    stack.sim.control.reset();
    stack.sim.control.faults.push({ ...fault, times: 50 }); // every upstream call of the cell, retries included
    const [path, init] = requests[route]();
    try {
      const res = await fetch(`${stack.api.url}${path}`, init);
      expect(await observe(route, res)).toEqual(outcomes[route]);
    } finally {
      stack.sim.control.reset();
    }
    // The same route works again once the fault is gone: no state was left broken.
    const [againPath, againInit] = requests[route]();
    expect(await observe(route, await fetch(`${stack.api.url}${againPath}`, againInit))).toEqual({ status: 200 });
  });
});
