/**
 * The HTTP transport under the fetch wrapper: `node:http`/`node:https` with keep-alive agents, answering
 * an {@link UpstreamAnswer} (not a WHATWG `Response`: see upstream-answer.ts). Chosen by measurement against
 * Node's built-in fetch on the proxy path: lower added latency and higher throughput, and no undici to load
 * on a cold start (`npm run bench` measures both).
 * It sends no `accept-encoding`, so bodies arrive uncompressed and relay byte for byte.
 */
import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { AnswerHeaders, UpstreamAnswer } from '#shared/http/upstream-answer.ts';

/** One request for the transport. */
export interface TransportRequest {
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  signal: AbortSignal;
  /** A streamed answer that sends nothing for this long is ended with a {@link STREAM_STALLED} error. */
  idleTimeoutMs?: number;
  /** Called once the exchange is over: the answer read whole, its stream ended or broken off, or the request failed. */
  onClose?: () => void;
}

type Client = { request: (url: URL, options: RequestOptions, onResponse: (res: IncomingMessage) => void) => ClientRequest; agent: Agent };

// node:http and node:https (with TLS) are slow to load: each loads with its first call, so a cold start
// that never goes upstream (a rejected request, the Studio listing) does not pay for them. They are taken
// with `process.getBuiltinModule`, not `import()`: an ESM import of a built-in reads every export, and
// node:http's include getters that load undici (Node's fetch), which this transport exists to avoid.
const clients = new Map<string, Client>();
function clientFor(protocol: string): Client {
  let client = clients.get(protocol);
  if (client === undefined) {
    const m = protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
    client = { request: m.request as Client['request'], agent: new m.Agent({ keepAlive: true }) };
    clients.set(protocol, client);
  }
  return client;
}
const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

/** `code` of the error when an answer's body breaks off before its end. */
export const BODY_CUT = 'UPSTREAM_BODY_CUT';
/** `code` of the error that ends a stream after `idleTimeoutMs` without data. */
export const STREAM_STALLED = 'UPSTREAM_STREAM_STALLED';

/** Ends `res` when no data arrived for `ms`: a stalled stream would otherwise hold its client until the function times out. */
function endWhenIdle(res: IncomingMessage, ms: number): void {
  const timer = setTimeout(() => res.destroy(Object.assign(new Error(`no data for ${ms} ms`), { code: STREAM_STALLED })), ms);
  res.on('data', () => timer.refresh());
  res.once('close', () => clearTimeout(timer));
}

/**
 * A streamed answer (`text/event-stream`) keeps its body as a stream. Any other answer is read whole
 * first: every caller reads JSON whole anyway, and a buffer skips the Node → web stream adapter.
 */
function toAnswer(res: IncomingMessage, idleTimeoutMs: number | undefined): Promise<UpstreamAnswer> {
  const headers = new AnswerHeaders();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const status = res.statusCode ?? 502;
  if (NULL_BODY_STATUS.has(status)) {
    res.resume();
    return Promise.resolve(new UpstreamAnswer(status, headers, null));
  }
  if ((headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    if (idleTimeoutMs !== undefined) endWhenIdle(res, idleTimeoutMs);
    // A connection lost mid-stream surfaces as Node's generic ECONNRESET; marked, callers several layers up
    // (the OpenAI SDK, LangChain) can still tell it from other failures.
    res.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') err.code = BODY_CUT;
    });
    return Promise.resolve(new UpstreamAnswer(status, headers, { stream: Readable.toWeb(res) as ReadableStream<Uint8Array> }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve(new UpstreamAnswer(status, headers, { whole: Buffer.concat(chunks) })));
    // The connection dropped mid-body: the answer is incomplete, which the wrapper reports as such.
    const cut = (cause?: unknown) => reject(Object.assign(new Error('upstream answer cut short', { cause }), { code: BODY_CUT }));
    res.on('error', cut);
    res.on('close', () => {
      if (!res.complete) cut();
    });
  });
}

/**
 * A body that is valid UTF-8 goes as a string: node:http then sends head and body in one write instead of
 * a two-buffer writev, measurably less CPU per request (`npm run bench`). The bytes on the wire are the same.
 */
function asText(body: string | Uint8Array | undefined): string | Uint8Array | undefined {
  if (body === undefined || typeof body === 'string' || !isUtf8(body)) return body;
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}

/** The transport; tests replace `send` to answer without a network. */
export const transport = {
  /**
   * Sends one request; resolves when the response headers arrive (a stream) or the whole answer has (any
   * other body). Rejects on connection errors and aborts.
   */
  async send(url: URL, init: TransportRequest): Promise<UpstreamAnswer> {
    const client = clientFor(url.protocol);
    const headers = { ...init.headers };
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    return new Promise((resolve, reject) => {
      const req = client.request(url, { method: init.method, headers, agent: client.agent, signal: init.signal }, (res) =>
        toAnswer(res, init.idleTimeoutMs).then(resolve, reject),
      );
      req.on('error', reject);
      if (init.onClose !== undefined) req.once('close', init.onClose);
      req.end(asText(init.body));
    });
  },
};
