import { describe, expect, it } from 'vitest';
import { normaliseUpstreamError, redact } from '#shared/ionos/error-body.ts';

describe('normaliseUpstreamError', () => {
  it('rewrites the IONOS native format into the OpenAI fields', () => {
    const body = JSON.stringify({
      httpStatus: 400,
      messages: [
        { errorCode: 'paas-validation', message: 'max_tokens too large' },
        { errorCode: 'x', message: 'second' },
      ],
    });
    expect(normaliseUpstreamError(400, body)).toEqual({
      message: 'max_tokens too large; second',
      type: 'invalid_request_error',
      code: 'paas-validation',
      param: null,
    });
  });

  it('keeps an OpenAI envelope as it is', () => {
    const body = JSON.stringify({ error: { message: 'Rate limit exceeded', type: 'requests', code: 'rate_limit_exceeded', param: null } });
    expect(normaliseUpstreamError(429, body)).toEqual({
      message: 'Rate limit exceeded',
      type: 'requests',
      code: 'rate_limit_exceeded',
      param: null,
    });
  });

  it('reads {"detail"} and {"error":"text"} bodies', () => {
    expect(normaliseUpstreamError(404, '{"detail":"Job not found"}').message).toBe('Job not found');
    expect(normaliseUpstreamError(400, '{"error":"bad thing"}').message).toBe('bad thing');
  });

  it.each([['<html>502 Bad Gateway nginx/1.25</html>'], [''], ['null'], ['{"weird":true}'], ['x'.repeat(70_000)]])(
    'falls back to the status for %j',
    (body) => {
      expect(normaliseUpstreamError(502, body.slice(0, 80_000))).toEqual({
        message: 'HTTP 502',
        type: 'server_error',
        code: null,
        param: null,
      });
    },
  );

  it('redacts secrets echoed by the upstream', () => {
    const body = JSON.stringify({ httpStatus: 401, messages: [{ message: 'token Bearer sentinel-token-123 is expired' }] });
    const out = normaliseUpstreamError(401, body, ['sentinel-token-123']);
    expect(out.message).not.toContain('sentinel-token-123');
    expect(out.message).toContain('[redacted]');
    expect(out.type).toBe('authentication_error');
  });

  it('redact ignores short or missing secrets', () => {
    expect(redact('a b c', ['a', undefined])).toBe('a b c');
  });
});
