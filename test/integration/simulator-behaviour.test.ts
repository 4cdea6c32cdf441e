import { request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { STUDIO_MODELS } from '#infra/offline/ionos-simulator/catalogue.ts';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { readSse } from '#test/helpers/sse.ts';
import { SENTINELS, startTestSimulator } from '#test/helpers/sentinels.ts';

let sim: Simulator;
const auth = { authorization: `Bearer ${SENTINELS.ionosApiToken}`, 'content-type': 'application/json' };
const chat = (body: Record<string, unknown> = {}, headers: Record<string, string> = auth) =>
  fetch(`${sim.url}/v1/chat/completions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ model: 'openai/gpt-oss-120b', messages: [{ role: 'user', content: 'Hi' }], ...body }),
  });

beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.control.reset();
  sim.limiter.reset();
  sim.limiter.limit = { rps: 0, burst: 0 };
});

describe('simulator auth and rate limit', () => {
  it('answers 401 in the native format without a valid bearer token', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: SENTINELS.ionosApiToken }]) {
      const res = await fetch(`${sim.url}/v1/models`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ httpStatus: 401 });
    }
    expect((await fetch(`${sim.url}/v1/models`, { headers: auth })).status).toBe(200);
  });

  it('enforces the contract limit: the burst passes, the excess gets 429 with Retry-After', async () => {
    sim.limiter.limit = { rps: 5, burst: 10 };
    const answers = await Promise.all(Array.from({ length: 14 }, () => fetch(`${sim.url}/v1/models`, { headers: auth })));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    const limited = answers.find((r) => r.status === 429) as Response;
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('x-ratelimit-limit')).toBe('300');
    expect(limited.headers.get('x-ratelimit-burst')).toBe('10');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
  });

  it('answers 413 in the native format for a body over its limit', async () => {
    const res = await fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', headers: auth, body: 'x'.repeat(16 * 1024 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ httpStatus: 413 });
  });

  it('sends X-RateLimit headers on success', async () => {
    sim.limiter.limit = { rps: 5, burst: 10 };
    const res = await fetch(`${sim.url}/v1/models`, { headers: auth });
    expect(res.headers.get('x-ratelimit-remaining')).toBe('9');
  });
});

describe('simulator faults and scripts', () => {
  it('injects an error status once, in the chosen format, with Retry-After', async () => {
    sim.control.faults.push({ path: '/v1/chat/completions', status: 503, retryAfter: 4 });
    const failed = await chat();
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('4');
    expect(await failed.json()).toMatchObject({ httpStatus: 503 });
    expect((await chat()).status).toBe(200);
  });

  it('resets the connection and sends malformed JSON on request', async () => {
    sim.control.faults.push({ reset: true }, { malformedJson: true });
    await expect(chat()).rejects.toThrow();
    await expect((await chat()).json()).rejects.toThrow();
    expect((await chat()).status).toBe(200);
  });

  it('delays before headers on request (a client timeout shorter than the delay fires)', async () => {
    sim.control.faults.push({ latencyMs: 2_000 });
    await expect(fetch(`${sim.url}/v1/models`, { headers: auth, signal: AbortSignal.timeout(100) })).rejects.toThrow(/aborted|timeout/i);
  });

  it('cuts a stream after N events, without [DONE]', async () => {
    sim.control.faults.push({ cutStreamAfter: 2 });
    const res = await chat({ stream: true });
    await expect(res.text()).rejects.toThrow();
  });

  it('plays scripted replies in order: a tool call, then an answer', async () => {
    sim.control.chatReplies.push(
      { toolCalls: [{ name: 'web_search', arguments: { query: 'Berlin' }, id: 'call_1' }] },
      { content: 'It is sunny.' },
    );
    const first = (await (await chat()).json()) as { choices: { message: { tool_calls: unknown[] } }[] };
    expect(first.choices[0]?.message.tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'web_search', arguments: '{"query":"Berlin"}' } },
    ]);
    const second = await (await chat({ stream: true })).text();
    expect(second).toContain('sunny');
  });

  it('streams scripted tool calls as deltas', async () => {
    sim.control.chatReplies.push({ toolCalls: [{ name: 'web_search', arguments: { query: 'x' }, id: 'call_9' }] });
    const events = (await readSse(await chat({ stream: true })))
      .slice(0, -1)
      .map(
        (e) =>
          JSON.parse(e) as { choices: { delta: { tool_calls?: { function: { arguments?: string } }[] }; finish_reason: string | null }[] },
      );
    const args = events.map((e) => e.choices[0]?.delta.tool_calls?.[0]?.function.arguments ?? '').join('');
    expect(args).toBe('{"query":"x"}');
    expect(events.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('records what it received and whether the client left early', async () => {
    sim.control.faults.push({ latencyMs: 300 });
    await new Promise<void>((resolve) => {
      const req = request(`${sim.url}/v1/models`, { headers: auth });
      req.on('error', () => resolve());
      req.end();
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    await new Promise((r) => setTimeout(r, 400));
    const seen = sim.control.requests.at(-1);
    expect(seen?.path).toBe('/v1/models');
    expect(seen?.headers.authorization).toBe(`Bearer ${SENTINELS.ionosApiToken}`);
    expect(seen?.clientClosedEarly).toBe(true);
  });

  it('takes faults, scripts and settings over the HTTP control API', async () => {
    const control = (method: string, path: string, body?: unknown) =>
      fetch(`${sim.url}/__sim/${path}`, { method, body: JSON.stringify(body) });
    await control('POST', 'faults', [{ status: 500 }]);
    await control('POST', 'chat-replies', { content: 'scripted!' });
    expect((await chat()).status).toBe(500);
    expect(await (await chat()).text()).toContain('scripted!');
    await control('PUT', 'settings', { hubToken: 'rotated' });
    expect((await chat()).status).toBe(401);
    expect((await chat({}, { ...auth, authorization: 'Bearer rotated' })).status).toBe(200);
    const requests = (await (await control('GET', 'requests')).json()) as unknown[];
    expect(requests.length).toBeGreaterThanOrEqual(4);
    await control('POST', 'reset');
    expect(sim.control.requests).toHaveLength(0);
    sim.hubTokens.clear();
    sim.hubTokens.add(SENTINELS.ionosApiToken);
  });
});

describe('simulated Studio job API', () => {
  const studio = (path: string, init: RequestInit = {}, key = sim.studioApiKey) =>
    fetch(`${sim.studioBaseUrl}/organizations/${sim.studioOrgId}/generate${path}`, {
      ...init,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    });
  const create = (body: unknown, key?: string) => studio('', { method: 'POST', body: JSON.stringify(body) }, key);
  const model = STUDIO_MODELS['qwen-gdpr-demo'];

  it('creates a job, reports RUNNING, then FINISHED with the result', async () => {
    const created = (await (
      await create({ model_id: model, messages: [[{ role: 'user', content: 'Hallo' }]], temperature: 0, max_tokens: 10 })
    ).json()) as { job_id: string; status: string };
    expect(created.status).toBe('CREATED');
    const first = (await (await studio(`/${created.job_id}`)).json()) as { job_status: string };
    expect(first.job_status).toBe('RUNNING');
    const second = (await (await studio(`/${created.job_id}`)).json()) as { job_status: string; results: { result: string }[] };
    expect(second.job_status).toBe('FINISHED');
    expect(second.results[0]?.result).toContain('Hallo');
  });

  it('plays scripted outcomes: failure, completed', async () => {
    sim.control.studioPollsBeforeDone = 0;
    sim.control.studioJobs.push({ fail: 'boom' }, { finishedStatus: 'completed', result: 'ok' });
    const poll = async () => {
      const { job_id } = (await (await create({ model_id: model, messages: [[{ role: 'user', content: 'x' }]] })).json()) as {
        job_id: string;
      };
      return (await (await studio(`/${job_id}`)).json()) as {
        job_status: string;
        results: { error: string | null; result: string | null }[];
      };
    };
    expect(await poll()).toMatchObject({ job_status: 'FAILED', results: [{ error: 'boom' }] });
    expect(await poll()).toMatchObject({ job_status: 'completed', results: [{ result: 'ok' }] });
    sim.control.studioPollsBeforeDone = 1;
  });

  it('refuses a wrong key, an unknown model and a malformed conversation', async () => {
    expect((await create({ model_id: model, messages: [[{ role: 'user', content: 'x' }]] }, 'wrong')).status).toBe(401);
    expect((await create({ model_id: '00000000-0000-4000-8000-000000000000', messages: [[{ role: 'user', content: 'x' }]] })).status).toBe(
      404,
    );
    expect((await create({ model_id: model, messages: [{ role: 'user', content: 'x' }] })).status).toBe(400);
    expect((await studio('/no-such-job')).status).toBe(404);
  });
});
