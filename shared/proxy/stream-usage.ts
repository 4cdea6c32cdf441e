/**
 * Streams are metered too. IONOS sends a stream's token usage only when asked (`stream_options.include_usage`),
 * as one last chunk with `"choices": []` and `usage`. A client that did not ask gets the request with the
 * option added, and that usage-only chunk is taken out of the stream before it reaches the client, so
 * the client sees exactly the stream it asked for and the ledger still gets the counts.
 */
import { HUB_PATHS } from '#shared/ionos/upstreams.ts';

/**
 * The body to send upstream: with `stream_options.include_usage` added for a streamed chat completion that
 * does not ask for it; `undefined` when the client's bytes go unchanged.
 */
export function withUsageRequested(path: string, body: Record<string, unknown>): string | undefined {
  if (path !== HUB_PATHS.chatCompletions || body.stream !== true) return undefined;
  const options = body.stream_options;
  if (options !== undefined && options !== null && typeof options !== 'object') return undefined; // the Hub's 400 to give
  if ((options as { include_usage?: unknown } | null)?.include_usage === true) return undefined;
  return JSON.stringify({ ...body, stream_options: { ...(options as object | null), include_usage: true } });
}

const EVENT_END = '\n\n';
const encoder = new TextEncoder();

/** Is this SSE event the usage-only chunk (`data: {... "choices": [], "usage": {...}}`)? */
function isUsageOnly(event: string): boolean {
  if (!event.includes('"usage"')) return false;
  const data = event
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).trim())
    .join('\n');
  try {
    const chunk = JSON.parse(data) as { choices?: unknown; usage?: unknown };
    return Array.isArray(chunk.choices) && chunk.choices.length === 0 && typeof chunk.usage === 'object' && chunk.usage !== null;
  } catch {
    return false;
  }
}

/**
 * Removes the usage-only chunk from an SSE stream. Whole events pass on as soon as their end has arrived;
 * only an event's unfinished tail waits for the next chunk.
 */
export class UsageChunkFilter {
  #decoder = new TextDecoder();
  #pending = '';

  /** The bytes of `chunk` that can go to the client now. */
  push(chunk: Uint8Array): Uint8Array {
    this.#pending += this.#decoder.decode(chunk, { stream: true });
    const end = this.#pending.lastIndexOf(EVENT_END);
    if (end === -1) return new Uint8Array(0);
    const complete = this.#pending.slice(0, end + EVENT_END.length);
    this.#pending = this.#pending.slice(end + EVENT_END.length);
    return encoder.encode(this.#keep(complete));
  }

  /** What is left when the stream ends. */
  flush(): Uint8Array {
    const rest = this.#pending + this.#decoder.decode();
    this.#pending = '';
    return encoder.encode(this.#keep(rest));
  }

  #keep(text: string): string {
    if (!text.includes('"usage"')) return text;
    return text
      .split(EVENT_END)
      .filter((event, i, all) => i === all.length - 1 || !isUsageOnly(event))
      .join(EVENT_END);
  }
}
