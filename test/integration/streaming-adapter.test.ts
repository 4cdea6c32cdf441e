// The response-streaming path end to end without a real function yet: a middy streaming handler built
// with the shared stack, invoked through the local adapter's response stream, as the local server does.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStreamingHandler, LocalResponseStream } from '#infra/offline/api-gateway/awslambda-shim.ts';
import { BadRequestError } from '#shared/errors.ts';
import { createHandler } from '#shared/http/handler.ts';

let release: () => void = () => undefined;
const LARGE = JSON.stringify({ text: Array.from({ length: 40_000 }, (_, i) => `w${i}`).join(' ') });
const handler = createHandler('agent', async (event) => {
  if (event.path === '/fail') throw new BadRequestError('messages must not be empty', { param: 'messages' });
  // A buffered answer larger than middy's 16 KB write size: several writes, with backpressure, in one tick or more.
  if (event.path === '/large') return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: LARGE };
  async function* events() {
    yield 'data: {"status":"thinking"}\n\n';
    await new Promise<void>((resolve) => (release = resolve)); // held until the test saw the first event
    yield 'data: [DONE]\n\n';
  }
  return { statusCode: 200, headers: { 'content-type': 'text/event-stream' }, body: Readable.from(events()) };
});

let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const stream = new LocalResponseStream(res);
    const event = { path: req.url, headers: {} } as unknown as APIGatewayProxyEvent;
    void (handler as unknown as (e: APIGatewayProxyEvent, s: LocalResponseStream, c: Partial<Context>) => Promise<void>)(event, stream, {
      getRemainingTimeInMillis: () => 30_000,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('streaming adapter', () => {
  it('builds handlers in the mode the route table gives the function', () => {
    expect(isStreamingHandler(handler)).toBe(true);
    expect(isStreamingHandler(createHandler('studio-models', async () => ({ statusCode: 200, body: '' })))).toBe(false);
  });

  it('sends status and headers from the prelude and each chunk as the handler writes it', async () => {
    const res = await fetch(`${url}/ok`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('data: {"status":"thinking"}\n\n'); // arrived while the handler waits
    release();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe('data: [DONE]\n\n');
  });

  it('sends a large buffered answer whole and intact (the adapter holds a tick of writes in one socket write)', async () => {
    const res = await fetch(`${url}/large`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.length).toBe(LARGE.length);
    expect(text).toBe(LARGE);
  });

  it('maps errors of a streaming handler to the envelope with its status', async () => {
    const res = await fetch(`${url}/fail`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { message: 'messages must not be empty', type: 'invalid_request_error', code: 'invalid_request', param: 'messages' },
    });
  });
});
