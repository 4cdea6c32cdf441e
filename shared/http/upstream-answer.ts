/**
 * An upstream's answer as the transport gives it: status, headers and body, and nothing of WHATWG's
 * `Response`. The first `Response` or `Headers` of a process loads Node's fetch implementation (undici),
 * tens of milliseconds of a cold start's first request, which the proxy's path never needs: it reads a
 * JSON answer whole and relays a stream. Only the agent's model, whose SDK wants a `fetch`, turns an
 * answer into a `Response` ({@link UpstreamAnswer.toResponse}), and it has loaded undici already.
 */

/** Response headers by lower-case name, as `node:http` gives them (repeated values joined by `, `). */
export class AnswerHeaders {
  readonly #values = new Map<string, string>();

  constructor(entries: Iterable<readonly [string, string]> = []) {
    for (const [name, value] of entries) this.#values.set(name.toLowerCase(), value);
  }

  /** The header's value, or null when absent (as `Headers.get`). */
  get(name: string): string | null {
    return this.#values.get(name.toLowerCase()) ?? null;
  }

  set(name: string, value: string): void {
    this.#values.set(name.toLowerCase(), value);
  }

  delete(name: string): void {
    this.#values.delete(name.toLowerCase());
  }

  entries(): IterableIterator<[string, string]> {
    return this.#values.entries();
  }
}

/** What an answer's body is: read whole (every answer but a stream), a stream, or none. */
export type AnswerBody = { whole: Buffer } | { stream: ReadableStream<Uint8Array> } | null;

/** One upstream answer; see the module comment. */
export class UpstreamAnswer {
  readonly status: number;
  readonly headers: AnswerHeaders;
  readonly #body: AnswerBody;

  constructor(status: number, headers: AnswerHeaders, body: AnswerBody) {
    this.status = status;
    this.headers = headers;
    this.#body = body;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** The body as a stream, for a streamed answer (`text/event-stream`); null for any other. */
  get stream(): ReadableStream<Uint8Array> | null {
    return this.#body !== null && 'stream' in this.#body ? this.#body.stream : null;
  }

  /**
   * The body as text: all of it, or about the first `maxChars` (an error answer's, which may be large; a
   * stream is then read no further).
   */
  async text(maxChars = Infinity): Promise<string> {
    if (this.#body === null) return '';
    if ('whole' in this.#body) return this.#body.whole.toString('utf8', 0, maxChars * 4).slice(0, maxChars);
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of this.#body.stream) {
      text += decoder.decode(chunk, { stream: true });
      if (text.length >= maxChars) break; // leaving the loop cancels the rest of the body
    }
    return (text + decoder.decode()).slice(0, maxChars);
  }

  /** Gives up the body unread (a stream's connection is released). */
  discard(): void {
    if (this.#body !== null && 'stream' in this.#body) this.#body.stream.cancel().catch(() => undefined);
  }

  /** The answer as a WHATWG `Response`, for an SDK that needs one (the agent's model). */
  toResponse(): Response {
    const body = this.#body === null ? null : 'whole' in this.#body ? this.#body.whole : this.#body.stream;
    return new Response(body, { status: this.status, headers: [...this.headers.entries()] });
  }
}
