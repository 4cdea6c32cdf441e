/**
 * The route × upstream-fault matrix: what a client gets when IONOS misbehaves. fault-matrix.test.ts runs
 * every cell against the simulator and checks the outcome written here; the table in docs/reliability.md
 * is rendered from this file (`npm run docs` rewrites it; test/unit/docs.test.ts fails when it differs).
 * Run with UPSTREAM_TIMEOUT_MS=400, AGENT_DEADLINE_MS=2500 and PROXY_DEADLINE_MS=1000, so timeouts and stalls are short.
 */
import type { Fault } from '#infra/offline/ionos-simulator/control.ts';

/** What the client gets. */
export interface Outcome {
  status: number;
  /** `error.code` of the envelope, or of the stream's error event. */
  code?: string;
  /** A 429 keeps IONOS's own message and code (SDKs show them), so only its `error.type` is ours to document. */
  type?: string;
  /** The `Retry-After` header, when one is sent. */
  retryAfter?: string;
  /** The answer is a 200 stream that ends with an error event instead of completing. */
  streamError?: true;
}

/** The routes in the matrix. GET /studio/models reads configuration only, so no upstream fault reaches it. */
export const ROUTES = {
  proxy: 'POST /v1/chat/completions',
  proxyStream: 'POST /v1/chat/completions, `"stream": true`',
  agent: 'POST / (agent)',
  agentStream: 'POST /?stream=true (agent)',
  studio: 'POST / with a Studio UUID',
  responses: 'POST /v1/responses',
  responsesStream: 'POST /v1/responses, `"stream": true`',
} as const;
export type RouteKey = keyof typeof ROUTES;

/** One fault: what the simulator does on every upstream call while the cell runs. */
export interface FaultCase {
  label: string;
  fault: Fault;
  /** The outcome per route; a route missing here is not reachable by this fault (e.g. SSE faults and Studio's JSON job API). */
  outcomes: Partial<Record<RouteKey, Outcome>>;
}

const cut = (code: string): Outcome => ({ status: 200, code, streamError: true });
const rateLimited = (retryAfter?: string): Outcome => ({ status: 429, type: 'rate_limit_error', ...(retryAfter ? { retryAfter } : {}) });

export const FAULTS: FaultCase[] = [
  {
    label: '429 with `Retry-After: 7`',
    fault: { status: 429, retryAfter: 7 },
    outcomes: {
      proxy: rateLimited('7'),
      proxyStream: rateLimited('7'),
      agent: rateLimited('7'),
      agentStream: { status: 200, type: 'rate_limit_error', streamError: true },
      studio: rateLimited('7'),
    },
  },
  {
    label: '429 without `Retry-After`',
    fault: { status: 429, retryAfter: null },
    outcomes: {
      proxy: rateLimited(),
      proxyStream: rateLimited(),
      agent: rateLimited(),
      agentStream: { status: 200, type: 'rate_limit_error', streamError: true },
      studio: rateLimited(),
    },
  },
  {
    label: '500',
    fault: { status: 500 },
    outcomes: {
      proxy: { status: 502, code: 'upstream_error' },
      proxyStream: { status: 502, code: 'upstream_error' },
      agent: { status: 502, code: 'upstream_error' },
      agentStream: cut('upstream_error'),
      studio: { status: 502, code: 'upstream_error' },
    },
  },
  {
    label: '502',
    fault: { status: 502 },
    outcomes: {
      proxy: { status: 502, code: 'upstream_error' },
      proxyStream: { status: 502, code: 'upstream_error' },
      agent: { status: 502, code: 'upstream_error' },
      agentStream: cut('upstream_error'),
      studio: { status: 502, code: 'upstream_error' },
    },
  },
  {
    label: '503 with `Retry-After: 1`',
    fault: { status: 503, retryAfter: 1 },
    outcomes: {
      proxy: { status: 503, code: 'upstream_unavailable', retryAfter: '1' },
      proxyStream: { status: 503, code: 'upstream_unavailable', retryAfter: '1' },
      agent: { status: 503, code: 'upstream_unavailable', retryAfter: '1' },
      agentStream: cut('upstream_unavailable'),
      studio: { status: 503, code: 'upstream_unavailable', retryAfter: '1' },
    },
  },
  {
    label: 'no answer within the upstream timeout',
    fault: { latencyMs: 1_500 },
    outcomes: {
      proxy: { status: 504, code: 'upstream_timeout' },
      proxyStream: { status: 504, code: 'upstream_timeout' },
      agent: { status: 504, code: 'upstream_timeout' },
      agentStream: cut('upstream_timeout'),
      studio: { status: 504, code: 'upstream_timeout' },
    },
  },
  {
    label: 'stream stalls after 2 events for longer than the upstream timeout',
    fault: { stallMs: 1_500, stallAfterEvents: 2 },
    outcomes: { proxyStream: cut('upstream_timeout'), agentStream: cut('upstream_timeout') },
  },
  {
    label: 'connection reset',
    fault: { reset: true },
    outcomes: {
      proxy: { status: 502, code: 'upstream_unreachable' },
      proxyStream: { status: 502, code: 'upstream_unreachable' },
      agent: { status: 502, code: 'upstream_unreachable' },
      agentStream: cut('upstream_unreachable'),
      studio: { status: 502, code: 'upstream_unreachable' },
    },
  },
  {
    label: '200 with malformed JSON',
    fault: { malformedJson: true },
    outcomes: {
      proxy: { status: 502, code: 'upstream_malformed_answer' },
      agent: { status: 502, code: 'upstream_malformed_answer' },
      studio: { status: 502, code: 'upstream_malformed_answer' },
    },
  },
  {
    label: 'answer cut off (truncated JSON or SSE)',
    fault: { cutStreamAfter: 3 },
    outcomes: {
      proxy: { status: 502, code: 'upstream_body_cut' },
      proxyStream: cut('upstream_stream_cut'),
      agent: { status: 502, code: 'upstream_body_cut' },
      agentStream: cut('upstream_stream_cut'),
      studio: { status: 502, code: 'upstream_body_cut' },
    },
  },
  {
    label: '200 with `content-type: text/html`',
    fault: { contentType: 'text/html' },
    outcomes: {
      proxy: { status: 502, code: 'upstream_malformed_answer' },
      proxyStream: { status: 502, code: 'upstream_malformed_answer' },
      agent: { status: 502, code: 'upstream_malformed_answer' },
      agentStream: cut('upstream_malformed_answer'),
      studio: { status: 502, code: 'upstream_malformed_answer' },
    },
  },
  {
    label: '401 (token refused; a secret is first read again once, see credential-faults.test.ts)',
    fault: { status: 401 },
    outcomes: {
      proxy: { status: 502, code: 'upstream_auth_failed' },
      proxyStream: { status: 502, code: 'upstream_auth_failed' },
      agent: { status: 502, code: 'upstream_auth_failed' },
      agentStream: cut('upstream_auth_failed'),
      studio: { status: 502, code: 'upstream_auth_failed' },
    },
  },
];

// The Responses bridge forwards as a chat completion through the proxy, so it answers every fault as the
// proxy does; a stream that fails ends with `response.failed` and an `error` event carrying the same code.
for (const f of FAULTS) {
  if (f.outcomes.proxy !== undefined) f.outcomes.responses = f.outcomes.proxy;
  if (f.outcomes.proxyStream !== undefined) f.outcomes.responsesStream = f.outcomes.proxyStream;
}

function describe(o: Outcome | undefined): string {
  if (o === undefined) return '—';
  if (o.streamError) return `200, stream ends with an error event (${o.code ? `\`${o.code}\`` : "IONOS's 429 message"})`;
  if (o.type === 'rate_limit_error')
    return `429, IONOS's message${o.retryAfter ? `, \`Retry-After: ${o.retryAfter}\`` : ', no `Retry-After`'}`;
  return `${o.status}${o.code ? ` \`${o.code}\`` : ''}${o.retryAfter ? `, \`Retry-After: ${o.retryAfter}\`` : ''}`;
}

/** The upstream fault table of docs/reliability.md (see test/docs/generated.ts). */
export function renderFaultTable(): string {
  const keys = Object.keys(ROUTES) as RouteKey[];
  const lines = [
    `| Upstream fault | ${keys.map((k) => ROUTES[k]).join(' | ')} |`,
    `|---|${keys.map(() => '---').join('|')}|`,
    ...FAULTS.map((f) => `| ${f.label} | ${keys.map((k) => describe(f.outcomes[k])).join(' | ')} |`),
  ];
  return lines.join('\n');
}
