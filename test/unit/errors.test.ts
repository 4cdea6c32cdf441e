import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  toErrorResponse,
  UpstreamHttpError,
} from '#shared/errors.ts';

const parse = (body: string) => JSON.parse(body) as { error: Record<string, unknown> };

describe('toErrorResponse', () => {
  it('renders a 4xx in the OpenAI envelope with its message, type, code and param', () => {
    const res = toErrorResponse(new BadRequestError('messages[3].content must be a string', { param: 'messages[3].content' }));
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe('application/json');
    expect(parse(res.body)).toEqual({
      error: {
        message: 'messages[3].content must be a string',
        type: 'invalid_request_error',
        code: 'invalid_request',
        param: 'messages[3].content',
      },
    });
  });

  it('hides the message, stack and cause of an unexpected error behind a generic 500', () => {
    const err = new Error('connect ECONNREFUSED 10.0.0.7:5432 in /var/task/index.mjs', { cause: new Error('secret-ish') });
    const res = toErrorResponse(err);
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('ECONNREFUSED');
    expect(res.body).not.toContain('/var/task');
    expect(parse(res.body).error.type).toBe('server_error');
  });

  it('hides non-Error throwables too', () => {
    expect(toErrorResponse('boom').statusCode).toBe(500);
    expect(toErrorResponse(undefined).body).not.toContain('boom');
  });

  it('sends Retry-After with a 429, rounded up to whole seconds and at least 1', () => {
    const limited = (retryAfter?: number) =>
      toErrorResponse(new UpstreamHttpError('IONOS AI Model Hub', 429, { message: 'slow down' }, retryAfter));
    expect(limited(2.2).headers['retry-after']).toBe('3');
    expect(limited(0).headers['retry-after']).toBe('1');
    expect(limited().headers['retry-after']).toBeUndefined();
  });

  it('lists allowed methods on a 405 and the limit on a 413', () => {
    const res = toErrorResponse(new MethodNotAllowedError('POST', '/studio/models', ['GET']));
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET');
    expect(parse(toErrorResponse(new PayloadTooLargeError(1024)).body).error.message).toContain('1024 bytes');
  });

  it('exposes the message of the 5xx classes we write', () => {
    const res = toErrorResponse(new ServiceUnavailableError('IONOS credentials are not available'));
    expect(res.statusCode).toBe(503);
    expect(parse(res.body).error.message).toBe('IONOS credentials are not available');
  });
});

describe('UpstreamHttpError', () => {
  const detail = { message: 'model not found', code: 'model-not-found' };

  it.each([
    [429, 429, 'rate_limit_error'],
    [400, 400, 'invalid_request_error'],
    [404, 404, 'invalid_request_error'],
    [422, 422, 'invalid_request_error'],
    [401, 502, 'upstream_error'],
    [403, 502, 'upstream_error'],
    [500, 502, 'upstream_error'],
    [502, 502, 'upstream_error'],
    [503, 503, 'service_unavailable'],
    [504, 504, 'timeout_error'],
  ])('maps upstream %i to %i (%s)', (upstream, status, type) => {
    const err = new UpstreamHttpError('IONOS AI Model Hub', upstream, detail);
    expect(err.status).toBe(status);
    expect(err.type).toBe(type);
    expect(err.upstreamStatus).toBe(upstream);
  });

  it('keeps upstream request errors readable so the client can fix the request', () => {
    const err = new UpstreamHttpError('IONOS AI Model Hub', 404, detail);
    expect(err.message).toBe('IONOS AI Model Hub rejected the request: model not found');
    expect(err.code).toBe('model-not-found');
  });

  it('does not relay upstream text for credential and server failures', () => {
    expect(new UpstreamHttpError('IONOS AI Model Hub', 401, { message: 'token abc expired' }).message).not.toContain('abc');
    expect(new UpstreamHttpError('IONOS AI Model Hub', 500, { message: 'stack at node 7' }).message).not.toContain('stack');
  });

  it('passes Retry-After on 429 and 503', () => {
    expect(new UpstreamHttpError('Hub', 429, detail, 7).headers['retry-after']).toBe('7');
    expect(new UpstreamHttpError('Hub', 503, detail, 4).headers['retry-after']).toBe('4');
  });
});
