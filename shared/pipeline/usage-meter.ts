/**
 * Token usage for metrics: from the parsed `usage` object of a JSON answer, and for streams from what
 * passes through without holding the body: `usage` comes in the final chunk of a stream that asked for
 * it, so only a bounded tail of the bytes is kept.
 */
import type { Usage } from '#shared/metrics.ts';

const TAIL_BYTES = 8 * 1024;
const USAGE = /"usage"\s*:\s*\{([^{}]*)\}/g;

/** Token counts from the `usage` object of a parsed JSON answer. */
export function usageOf(answer: unknown): Usage | undefined {
  const usage = (answer as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | null)?.usage;
  if (typeof usage !== 'object' || usage === null) return undefined;
  const count = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? n : 0);
  return { promptTokens: count(usage.prompt_tokens), completionTokens: count(usage.completion_tokens) };
}

/** Watches a response body for its last `usage` object. */
export class UsageMeter {
  #tail = '';
  #decoder = new TextDecoder();
  usage: Usage | undefined;

  /** Feeds the next chunk. */
  observe(chunk: Uint8Array): void {
    this.#tail = (this.#tail + this.#decoder.decode(chunk, { stream: true })).slice(-TAIL_BYTES);
    let end = -1;
    for (const match of this.#tail.matchAll(USAGE)) {
      const fields = match[1] as string;
      const read = (name: string) => Number(new RegExp(`"${name}"\\s*:\\s*(\\d+)`).exec(fields)?.[1] ?? 0);
      this.usage = { promptTokens: read('prompt_tokens'), completionTokens: read('completion_tokens') };
      end = match.index + match[0].length;
    }
    if (end !== -1) this.#tail = this.#tail.slice(end); // a usage object is counted once
  }
}
