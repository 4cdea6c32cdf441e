/**
 * A local stand-in for the `awslambda` global that the Lambda Node.js runtime provides to response-streaming
 * functions. It follows the runtime's wire protocol: `HttpResponseStream.from` writes a JSON prelude
 * (`statusCode`, `headers`, ...) and eight NUL bytes, then the body; {@link LocalResponseStream} parses that
 * back into an HTTP response, as API Gateway does, and forwards each body chunk as it arrives.
 */
import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';

const STREAMING = Symbol.for('ionos-backend.local.streamifyResponse');
const INTEGRATION_TYPE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER = Buffer.alloc(8);

/** The response stream handed to a streaming handler. */
export class LocalResponseStream extends Writable {
  #res: ServerResponse;
  #contentType: string | undefined;
  #pending: Buffer | undefined = Buffer.alloc(0); // prelude bytes until the head is written
  #onHead: () => void;
  #corked = false;

  /** @param onHead called once the status line and headers are sent. */
  constructor(res: ServerResponse, onHead: () => void = () => undefined) {
    super();
    this.#res = res;
    this.#onHead = onHead;
  }

  /** Called by the runtime protocol (and by handlers that stream without a prelude). */
  setContentType(contentType: string): void {
    this.#contentType = contentType;
  }

  /** True once the status and headers have gone to the client. */
  get headSent(): boolean {
    return this.#pending === undefined;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    let body: Buffer = chunk;
    if (this.#pending !== undefined) {
      if (this.#contentType !== INTEGRATION_TYPE) {
        this.#writeHead(200, { 'content-type': this.#contentType ?? 'application/octet-stream' });
      } else {
        const buffered = Buffer.concat([this.#pending, chunk]);
        const end = buffered.indexOf(DELIMITER);
        if (end === -1) {
          this.#pending = buffered;
          return callback();
        }
        const prelude = JSON.parse(buffered.subarray(0, end).toString('utf8')) as Prelude;
        this.#writeHead(prelude.statusCode ?? 200, prelude.headers ?? {}, prelude.multiValueHeaders, prelude.cookies);
        body = buffered.subarray(end + DELIMITER.length);
      }
    }
    if (body.length === 0) return callback();
    this.#corkForTick();
    if (this.#res.write(body)) return callback();
    this.#res.once('drain', () => callback());
  }

  // What is written within one tick leaves in one socket write: a buffered answer (head, body, end, which
  // middy writes in one go) is one write instead of two, as API Gateway sends it whole; a stream's chunks
  // still leave as they come, a tick later at most. A syscall per response is a visible share of npm
  // start's CPU per request under load (`npm run bench`, throughput). The socket is corked, not the
  // response: a corked ServerResponse re-frames chunked bodies itself, which broke large ones, while the
  // socket only holds bytes already framed; end() uncorks it fully on its own.
  #corkForTick(): void {
    const socket = this.#res.socket;
    if (this.#corked || socket === null) return;
    this.#corked = true;
    socket.cork();
    process.nextTick(() => {
      this.#corked = false;
      if (socket.writableCorked > 0) socket.uncork();
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#pending !== undefined) this.#writeHead(200, { 'content-type': this.#contentType ?? 'application/octet-stream' });
    this.#res.end(() => callback());
  }

  #writeHead(status: number, headers: Record<string, string>, multi?: Record<string, string[]>, cookies?: string[]): void {
    this.#pending = undefined;
    const all: Record<string, string | string[]> = { ...headers, ...multi };
    if (cookies && cookies.length > 0) all['set-cookie'] = cookies;
    this.#res.writeHead(status, all); // sent with the first body bytes
    this.#onHead();
  }
}

interface Prelude {
  statusCode?: number;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  cookies?: string[];
}

/** True when `handler` was wrapped by `awslambda.streamifyResponse`. */
export function isStreamingHandler(handler: unknown): boolean {
  return typeof handler === 'function' && (handler as unknown as Record<symbol, unknown>)[STREAMING] === true;
}

/**
 * Installs the `awslambda` global's streaming members, unless a real runtime already provides them.
 * Idempotent. The object itself may exist already: the AWS SDK's invoke store creates an empty one.
 */
export function installAwsLambdaShim(): void {
  const g = globalThis as unknown as { awslambda?: { streamifyResponse?: unknown } };
  if (typeof g.awslambda?.streamifyResponse === 'function') return;
  g.awslambda = Object.assign(g.awslambda ?? {}, {
    streamifyResponse<T extends object>(handler: T): T {
      Object.defineProperty(handler, STREAMING, { value: true });
      return handler;
    },
    HttpResponseStream: {
      from(stream: LocalResponseStream, prelude: Prelude): LocalResponseStream {
        stream.setContentType(INTEGRATION_TYPE);
        stream.write(Buffer.concat([Buffer.from(JSON.stringify(prelude)), DELIMITER]));
        return stream;
      },
    },
  });
}
