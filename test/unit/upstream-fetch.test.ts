import { afterEach, describe, expect, it, vi } from 'vitest';
import { BadGatewayError, GatewayTimeoutError, RequestAbortedError, UpstreamHttpError } from '#shared/errors.ts';
import { BODY_CUT, transport, type TransportRequest } from '#shared/http/transport.ts';
import { AnswerHeaders, UpstreamAnswer } from '#shared/http/upstream-answer.ts';
import { upstreamFetch, upstreamUrl } from '#shared/http/upstream-fetch.ts';
import { hubUpstream } from '#shared/ionos/upstreams.ts';

const hub = hubUpstream({ hubBaseUrl: 'https://hub.test' });
const TOKEN = 'sentinel-token-abc';
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new UpstreamAnswer(status, new AnswerHeaders(Object.entries({ 'content-type': 'application/json', ...headers })), {
    whole: Buffer.from(JSON.stringify(body)),
  });

/** Stubs the transport (no network): answers, errors or functions of the request, in order. */
function stubFetch(...responses: (UpstreamAnswer | Error | ((init: TransportRequest) => Promise<UpstreamAnswer>))[]) {
  vi.restoreAllMocks(); // a fresh spy (and call count) per stub
  return vi.spyOn(transport, 'send').mockImplementation(async (_url: URL, init: TransportRequest) => {
    const next = responses.shift();
    if (next === undefined) throw new Error('unexpected call');
    if (next instanceof Error) throw next;
    return typeof next === 'function' ? next(init) : next;
  });
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('upstreamFetch', () => {
  it('sends the bearer token and returns a 2xx response', async () => {
    const mock = stubFetch(json(200, { ok: true }));
    const res = await upstreamFetch(hub, { path: '/v1/models', token: TOKEN, timeoutMs: 1000, headers: { accept: 'application/json' } });
    expect(JSON.parse(await res.text())).toEqual({ ok: true });
    const [url, init] = mock.mock.calls[0] as [URL, TransportRequest];
    expect(url.href).toBe('https://hub.test/v1/models');
    expect(init.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('throws a typed error with the normalised, redacted IONOS message', async () => {
    stubFetch(json(400, { httpStatus: 400, messages: [{ errorCode: 'paas-1', message: `bad model for ${TOKEN}` }] }));
    const err = (await upstreamFetch(hub, { path: '/v1/chat/completions', token: TOKEN, timeoutMs: 1000 }).catch(
      (e: unknown) => e,
    )) as UpstreamHttpError;
    expect(err).toBeInstanceOf(UpstreamHttpError);
    expect(err.status).toBe(400);
    expect(err.message).toContain('bad model for [redacted]');
    expect(err.message).not.toContain(TOKEN);
  });

  it("keeps the error answer's headers on the error, for callers that relay it", async () => {
    stubFetch(json(404, { httpStatus: 404, messages: [{ errorCode: 'x', message: 'no such model' }] }, { 'x-request-id': 'req-9' }));
    const err = (await upstreamFetch(hub, { path: '/v1/models', token: TOKEN, timeoutMs: 1000 }).catch(
      (e: unknown) => e,
    )) as UpstreamHttpError;
    expect(err).toMatchObject({ upstreamStatus: 404, detail: { message: 'no such model' } });
    expect(err.upstreamHeaders.get('x-request-id')).toBe('req-9');
  });

  it('reports a 429 with its Retry-After seconds', async () => {
    stubFetch(json(429, { error: { message: 'slow down', type: 'requests' } }, { 'retry-after': '7' }));
    const err = (await upstreamFetch(hub, { path: '/v1/models', token: TOKEN, timeoutMs: 1000 }).catch(
      (e: unknown) => e,
    )) as UpstreamHttpError;
    expect(err.status).toBe(429);
    expect(err.retryAfterSeconds).toBe(7);
    expect(err.headers['retry-after']).toBe('7');
  });

  it('maps a connection failure to 502 and a slow upstream to 504', async () => {
    stubFetch(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }));
    await expect(upstreamFetch(hub, { path: '/v1/models', token: TOKEN, timeoutMs: 1000 })).rejects.toBeInstanceOf(BadGatewayError);
    stubFetch((init) => new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(new Error('aborted')))));
    const err = await upstreamFetch(hub, { path: '/v1/models', token: TOKEN, timeoutMs: 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayTimeoutError);
  });

  it('reports an answer cut mid-body as 502 upstream_body_cut, not as unreachable', async () => {
    stubFetch(Object.assign(new Error('upstream answer cut short'), { code: BODY_CUT }));
    await expect(upstreamFetch(hub, { path: '/v1/models', token: TOKEN, timeoutMs: 1000, retry: { attempts: 3 } })).rejects.toMatchObject({
      status: 502,
      code: 'upstream_body_cut',
    });
  });

  it("stops at once when the caller's signal aborts", async () => {
    const controller = new AbortController();
    stubFetch((init) => new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(new Error('aborted')))));
    const pending = upstreamFetch(hub, { path: '/v1/models', token: TOKEN, timeoutMs: 60_000, signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(RequestAbortedError);
  });

  it('does not retry unless asked', async () => {
    const mock = stubFetch(json(503, {}), json(200, {}));
    await expect(upstreamFetch(hub, { path: '/v1/models', token: TOKEN, timeoutMs: 1000 })).rejects.toBeInstanceOf(UpstreamHttpError);
    expect(mock).toHaveBeenCalledTimes(1);
  });

  it('waits exactly Retry-After before retrying when asked', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const mock = stubFetch(json(429, {}, { 'retry-after': '2' }), json(200, { ok: 1 }));
    const pending = upstreamFetch(hub, { path: '/v1/models', token: TOKEN, timeoutMs: 60_000, retry: { attempts: 3 } });
    await vi.advanceTimersByTimeAsync(1_999);
    expect(mock).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect((await pending).status).toBe(200);
    expect(mock).toHaveBeenCalledTimes(2);
  });

  it('gives up when Retry-After is longer than allowed or passes the deadline', async () => {
    let mock = stubFetch(json(429, {}, { 'retry-after': '30' }));
    await expect(
      upstreamFetch(hub, { path: '/v1/models', token: TOKEN, timeoutMs: 1000, retry: { attempts: 3, maxDelayMs: 5_000 } }),
    ).rejects.toMatchObject({ status: 429, retryAfterSeconds: 30 });
    expect(mock).toHaveBeenCalledTimes(1);
    mock = stubFetch(json(503, {}, { 'retry-after': '2' }));
    await expect(
      upstreamFetch(hub, { path: '/v1/models', token: TOKEN, timeoutMs: 1000, retry: { attempts: 3, deadline: Date.now() + 1_000 } }),
    ).rejects.toMatchObject({ status: 503 });
    expect(mock).toHaveBeenCalledTimes(1);
  });

  it('retries at most the given number of attempts', async () => {
    const mock = stubFetch(json(502, {}, { 'retry-after': '0' }), json(502, {}, { 'retry-after': '0' }), json(200, {}));
    await expect(upstreamFetch(hub, { path: '/v1/models', token: TOKEN, timeoutMs: 1000, retry: { attempts: 2 } })).rejects.toMatchObject({
      upstreamStatus: 502,
    });
    expect(mock).toHaveBeenCalledTimes(2);
  });

  it('does not retry client errors', async () => {
    const mock = stubFetch(json(400, {}), json(200, {}));
    await expect(upstreamFetch(hub, { path: '/v1/models', token: TOKEN, timeoutMs: 1000, retry: { attempts: 3 } })).rejects.toMatchObject({
      status: 400,
    });
    expect(mock).toHaveBeenCalledTimes(1);
  });
});

describe('upstreamUrl', () => {
  it('joins base and path', () => {
    expect(upstreamUrl({ baseUrl: 'https://studio.test/api/v1' }, '/organizations/o/generate').href).toBe(
      'https://studio.test/api/v1/organizations/o/generate',
    );
  });

  it.each(['v1/models', '/../admin', '/%2e%2e/%2e%2e/admin', '@evil.test/x'])('refuses %j', (path) => {
    expect(() => upstreamUrl({ baseUrl: 'https://studio.test/api/v1' }, path)).toThrow(BadGatewayError);
  });
});
