/**
 * Estimates, in one place: what a request is reserved against its budgets before it goes to IONOS, and
 * what a call is charged when its own usage never arrives (a stream the client cut short, an answer that
 * broke off). docs/usage-and-limits.md (Budgets) states these rules; change them here and there.
 *
 * - Prompt: one token per 4 bytes of the request body (JSON punctuation included, so it leans high for
 *   English text; a dense script can have more tokens than this).
 * - Output reserved: the request's `max_tokens` / `max_completion_tokens`, else {@link DEFAULT_OUTPUT_ESTIMATE},
 *   times `n` (chat and text completions only: embeddings and rerank generate nothing).
 * - Images reserved: `n`, else 1.
 * - A call cut short: its prompt estimate plus one token per SSE event relayed (a chunk of the Hub's
 *   streams carries about one token).
 */
import { HUB_PATHS, IMAGE_PATHS } from '#shared/ionos/upstreams.ts';
import type { Charge } from '#shared/usage/budgets.ts';

/** Bytes per token of the prompt estimate. */
export const BYTES_PER_TOKEN = 4;

/** Output tokens reserved for a request that sets no limit of its own. */
export const DEFAULT_OUTPUT_ESTIMATE = 1024;

/**
 * One call's estimate: what it is reserved against the budgets, and the prompt tokens it is charged when
 * its own usage never arrives (the prompt part of `charge.tokens`; 0 for a call that costs no tokens).
 */
export interface Estimate {
  charge: Charge;
  promptTokens: number;
}

/** Nothing: a call that costs no tokens, images or jobs (`GET /v1/models`). */
export const NO_COST: Estimate = { charge: { tokens: 0, images: 0, studioJobs: 0 }, promptTokens: 0 };

/** The prompt tokens of a request body of `bytes` bytes. */
export const promptEstimate = (bytes: number): number => Math.ceil(bytes / BYTES_PER_TOKEN);

const GENERATES_TEXT = new Set<string>([HUB_PATHS.chatCompletions, HUB_PATHS.completions]);
const COSTS_TOKENS = new Set<string>([HUB_PATHS.chatCompletions, HUB_PATHS.completions, HUB_PATHS.embeddings, HUB_PATHS.rerank]);

// A JSON number, or a multipart text field (image edits send `n` as text).
const whole = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
};

/** A request to a Hub endpoint of `bytes` bytes: its prompt and output estimate, or its images. */
export function hubEstimate(path: string, body: Record<string, unknown>, bytes: number): Estimate {
  if (IMAGE_PATHS.has(path)) return { charge: { tokens: 0, images: whole(body.n) ?? 1, studioJobs: 0 }, promptTokens: 0 };
  if (!COSTS_TOKENS.has(path)) return NO_COST;
  const output = GENERATES_TEXT.has(path)
    ? (whole(body.max_completion_tokens) ?? whole(body.max_tokens) ?? DEFAULT_OUTPUT_ESTIMATE) * (whole(body.n) ?? 1)
    : 0;
  const promptTokens = promptEstimate(bytes);
  return { charge: { tokens: promptTokens + output, images: 0, studioJobs: 0 }, promptTokens };
}

/** An agent model call of `bytes` bytes: its prompt and the agent's `maxTokens`. */
export function modelCallEstimate(bytes: number, maxTokens: number): Estimate {
  const promptTokens = promptEstimate(bytes);
  return { charge: { tokens: promptTokens + maxTokens, images: 0, studioJobs: 0 }, promptTokens };
}

/** A Studio job: one job (Studio reports no tokens). */
export const STUDIO_JOB: Estimate = { charge: { tokens: 0, images: 0, studioJobs: 1 }, promptTokens: 0 };

/** SSE events in a chunk of a stream (`data:` at a line start): the completion estimate of a cut stream. */
export function sseEvents(chunk: Uint8Array): number {
  let n = 0;
  // `data:` is 0x64 0x61 0x74 0x61 0x3a; at the chunk's start or after a newline.
  for (let i = 0; i + 4 < chunk.length; i++) {
    if (chunk[i] === 0x64 && chunk[i + 1] === 0x61 && chunk[i + 2] === 0x74 && chunk[i + 3] === 0x61 && chunk[i + 4] === 0x3a) {
      if (i === 0 || chunk[i - 1] === 0x0a) n++;
    }
  }
  return n;
}
