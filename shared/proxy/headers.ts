/**
 * Header allowlists, both ways. Requests keep only what the Hub needs to read the body; the client's
 * credentials (`authorization`, `x-api-key`), cookies, hop-by-hop and API Gateway headers never go
 * upstream. Responses pass back only the content type, `Retry-After` and a request id.
 *
 * IONOS's `X-RateLimit-*` headers are not passed: they describe the one contract every consumer shares, so
 * they would show each consumer the others' traffic and mislead its client (its own allowance is its usage
 * plan, not the contract). `Retry-After` on a 429 is what SDKs back off on, and it is kept.
 */
import type { AnswerHeaders } from '#shared/http/upstream-answer.ts';

const REQUEST_HEADERS = new Set(['content-type', 'accept', 'user-agent', 'idempotency-key']);
const RESPONSE_HEADERS = ['content-type', 'retry-after'];

/** The request headers forwarded upstream (API Gateway keeps the client's casing; the first of a name wins). */
export function forwardedRequestHeaders(event: { headers: Record<string, string | undefined> | null }): Record<string, string> {
  const out: Record<string, string> = {};
  // One pass over the client's headers, on every proxied request.
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    const name = key.toLowerCase();
    if (value !== undefined && REQUEST_HEADERS.has(name) && !(name in out)) out[name] = value;
  }
  return out;
}

/** The response headers passed back, plus a request id (upstream's when it sends one). */
export function passedResponseHeaders(upstream: AnswerHeaders, requestId: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RESPONSE_HEADERS) {
    const value = upstream.get(name);
    if (value !== null) out[name] = value;
  }
  out['x-request-id'] = upstream.get('x-request-id') ?? requestId;
  return out;
}
