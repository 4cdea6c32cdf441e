// The local API server in-process: routes from the shared table, gateway-level errors in the envelope.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalApi, type LocalApi } from '#infra/offline/api-gateway/server.ts';

const MAP = { 'qwen-gdpr': '7b19cae7-0983-4a6b-a03c-a647db48f00b', 'granite-gdpr': '2f0e6b84-5c1d-4a3e-9b7f-0c8d1e2a3b4c' };
let api: LocalApi;

beforeAll(async () => {
  process.env.STUDIO_MODELS = JSON.stringify(MAP);
  api = await startLocalApi({ port: 0 });
});
afterAll(() => api.close());

/** A raw request, for request targets that fetch would normalise away. */
function raw(method: string, target: string, body?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // Node's client sends GET bodies unframed unless the length is given.
    const headers = body === undefined ? {} : { 'content-length': String(body.length) };
    const req = request(api.url, { method, path: target, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('local API server', () => {
  it('serves GET /studio/models from configuration, cacheable for a dropdown', async () => {
    const res = await fetch(`${api.url}/studio/models`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('private, max-age=300');
    expect(await res.json()).toEqual(MAP);
  });

  it('answers unknown paths with 404 and wrong methods with 405, in the envelope', async () => {
    const missing = await fetch(`${api.url}/studio/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found', type: 'invalid_request_error' } });
    const wrong = await fetch(`${api.url}/studio/models`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });

  it('does not read a host out of double slashes or absolute-form targets', async () => {
    expect((await raw('GET', '//evil.test/studio/models')).status).toBe(404);
    const absolute = await raw('GET', 'http://evil.test/studio/models');
    expect(absolute.status).toBe(404);
    expect(absolute.body).toContain('"error"');
  });

  it('refuses a body over the gateway limit with 413', async () => {
    const res = await raw('GET', '/studio/models', Buffer.alloc(10 * 1024 * 1024 + 1, 'a'));
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('ignores query strings and bodies on the listing', async () => {
    const res = await fetch(`${api.url}/studio/models?x=%00&x=2`, { method: 'GET', headers: { 'x-model-id': '../../etc' } });
    expect(await res.json()).toEqual(MAP);
  });
});
