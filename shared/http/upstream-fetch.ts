/**
 * The one fetch wrapper every upstream call goes through: bearer auth, a timeout to response headers,
 * the caller's AbortSignal, typed errors, and opt-in bounded retries that honour `Retry-After`.
 *
 * Requests go out through {@link transport} (node:http/https with keep-alive agents).
 */
import {
  BadGatewayError,
  GatewayTimeoutError,
  type HttpError,
  RequestAbortedError,
  UpstreamHttpError,
  type UpstreamErrorDetail,
} from '#shared/errors.ts';
import { followSignal } from '#shared/http/follow-signal.ts';
import { BODY_CUT, STREAM_STALLED, transport } from '#shared/http/transport.ts';
import type { AnswerHeaders, UpstreamAnswer } from '#shared/http/upstream-answer.ts';
import { parseRetryAfter, sleep } from '#shared/time.ts';

/** Error bodies longer than this are not read for a message. */
export const MAX_ERROR_BODY_CHARS = 64 * 1024;

/**
 * An upstream as a small config object: a display name (used in messages), its base URL, and how to read
 * its error bodies (each upstream has its own format; this layer knows none of them).
 */
export interface Upstream {
  name: string;
  baseUrl: string;
  /** The error detail of an error answer (at most MAX_ERROR_BODY_CHARS of `body`), with `secrets` redacted. */
  readError(status: number, body: string, secrets: readonly (string | undefined)[]): UpstreamErrorDetail;
}

/** Opt-in retry policy. Only retried: 429, 502, 503, 504 and connection failures. */
export interface RetryPolicy {
  /** Total attempts including the first (1 = no retry). */
  attempts: number;
  /** Longest single wait; a longer `Retry-After` ends the retries. Default 10 s. */
  maxDelayMs?: number;
  /** Epoch ms after which no retry starts. */
  deadline?: number;
}

/** One upstream request. */
export interface UpstreamRequest {
  path: string;
  method?: string;
  /** Sent as `Authorization: Bearer <token>`, and redacted from any error message. */
  token: string;
  /** More secrets to keep out of error messages: every credential the caller holds (see `credentialValues`). */
  redact?: readonly (string | undefined)[];
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Time allowed for the response: for a stream its headers and then each pause between events, otherwise the whole answer. */
  timeoutMs: number;
  signal?: AbortSignal;
  retry?: RetryPolicy;
  /** Awaited before each attempt (the IONOS contract's limiter); an error it throws ends the call, unretried. */
  beforeAttempt?: () => Promise<void>;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

// URLs already built and checked: most calls go to a handful of endpoints, and parsing a URL is a visible
// share of a proxied request's CPU. Bounded, as `/v1/{proxy+}` paths come from clients; never mutated.
const checked = new Map<string, URL>();
const CHECKED_MAX = 256;

/** Joins base URL and path, refusing anything that would leave the upstream's origin or base path. */
export function upstreamUrl(upstream: Pick<Upstream, 'baseUrl'>, path: string): URL {
  const joined = upstream.baseUrl + path;
  const known = checked.get(joined);
  if (known !== undefined) return known;
  const url = new URL(joined);
  const base = new URL(upstream.baseUrl);
  if (
    !path.startsWith('/') ||
    url.origin !== base.origin ||
    !url.pathname.startsWith(base.pathname.replace(/\/$/, '')) ||
    path.includes('..')
  ) {
    throw new BadGatewayError('Refused to build an upstream URL outside the configured upstream.', { code: 'invalid_upstream_path' });
  }
  if (checked.size >= CHECKED_MAX) checked.clear();
  checked.set(joined, url);
  return url;
}

/**
 * Calls an upstream.
 * @returns the answer (2xx).
 * @throws UpstreamHttpError, GatewayTimeoutError, BadGatewayError (unreachable), RequestAbortedError.
 */
export async function upstreamFetch(upstream: Upstream, req: UpstreamRequest): Promise<UpstreamAnswer> {
  const attempts = Math.max(1, req.retry?.attempts ?? 1);
  for (let attempt = 1; ; attempt++) {
    if (req.beforeAttempt !== undefined) {
      await req.beforeAttempt().catch((err: unknown) => {
        throw req.signal?.aborted === true ? new RequestAbortedError(err) : err;
      });
    }
    try {
      return await fetchOnce(upstream, req);
    } catch (err) {
      const delayMs = attempt < attempts ? retryDelayMs(err, attempt, req.retry) : undefined;
      if (delayMs === undefined) throw err;
      await sleep(delayMs, req.signal);
    }
  }
}

function retryDelayMs(err: unknown, attempt: number, policy: RetryPolicy | undefined): number | undefined {
  let delayMs: number;
  if (err instanceof UpstreamHttpError && RETRYABLE_STATUS.has(err.upstreamStatus)) {
    delayMs = err.retryAfterSeconds !== undefined ? err.retryAfterSeconds * 1000 : 250 * 2 ** (attempt - 1);
  } else if (err instanceof BadGatewayError && err.code === 'upstream_unreachable') {
    delayMs = 250 * 2 ** (attempt - 1);
  } else {
    return undefined;
  }
  if (delayMs > (policy?.maxDelayMs ?? 10_000)) return undefined;
  if (policy?.deadline !== undefined && Date.now() + delayMs >= policy.deadline) return undefined;
  return delayMs;
}

async function fetchOnce(upstream: Upstream, req: UpstreamRequest): Promise<UpstreamAnswer> {
  const url = upstreamUrl(upstream, req.path);
  // One signal for the attempt: its own timeout, or the request's end (the client gone, the deadline).
  const attempt = new AbortController();
  const timer = setTimeout(() => attempt.abort(), req.timeoutMs);
  const unfollow = followSignal(attempt, req.signal);
  let response: UpstreamAnswer;
  try {
    response = await transport.send(url, {
      method: req.method ?? 'GET',
      headers: { ...req.headers, authorization: `Bearer ${req.token}` },
      body: req.body,
      signal: attempt.signal,
      onClose: unfollow, // a stream goes on after this returns: the request's end still ends it until then
      idleTimeoutMs: req.timeoutMs, // a stream may pause between events as long as it may wait for its headers
    });
  } catch (cause) {
    if (req.signal?.aborted) throw new RequestAbortedError(cause);
    if ((cause as { code?: unknown }).code === BODY_CUT) {
      throw new BadGatewayError(`${upstream.name} stopped sending the answer before it was complete.`, {
        code: 'upstream_body_cut',
        cause,
      });
    }
    if (attempt.signal.aborted) {
      throw new GatewayTimeoutError(
        `${upstream.name} did not answer within ${Math.round(req.timeoutMs / 1000)} s. Try again later.`,
        cause,
      );
    }
    throw new BadGatewayError(`${upstream.name} could not be reached. Try again later.`, { code: 'upstream_unreachable', cause });
  } finally {
    clearTimeout(timer);
  }
  const secrets = [req.token, ...(req.redact ?? [])];
  dropUnsafeRequestId(response.headers, secrets);
  if (response.ok) return checkContentType(upstream, response);
  throw await toUpstreamHttpError(upstream, response, secrets);
}

// An upstream request id is relayed to clients (see proxy/headers.ts), so it must be an id: short, of id
// characters, and holding no credential (an upstream that echoes the request's token there would leak it).
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Removes an upstream `x-request-id` that is not a plain id or holds a secret (ours then stands in for it). */
function dropUnsafeRequestId(headers: AnswerHeaders, secrets: readonly (string | undefined)[]): void {
  const id = headers.get('x-request-id');
  if (id === null) return;
  if (!REQUEST_ID.test(id) || secrets.some((s) => s !== undefined && s.length >= 4 && id.includes(s))) headers.delete('x-request-id');
}

/** The error for a 2xx answer that cannot be what the API promises (not JSON, wrong content type). */
function malformedAnswerError(upstream: Pick<Upstream, 'name'>, what: string, cause?: unknown): BadGatewayError {
  return new BadGatewayError(`${upstream.name} answered with ${what}. Try again later.`, { code: 'upstream_malformed_answer', cause });
}

/** Parses the text of a JSON answer; one that does not parse is the upstream's fault (502), not a 500 of ours. */
export function parseJsonAnswer(upstream: Pick<Upstream, 'name'>, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw malformedAnswerError(upstream, 'a body that is not JSON', cause);
  }
}

/** Reads and parses a JSON answer (see {@link parseJsonAnswer}). */
export async function readJsonAnswer(upstream: Pick<Upstream, 'name'>, response: UpstreamAnswer): Promise<unknown> {
  return parseJsonAnswer(upstream, await response.text());
}

// Every IONOS API answers JSON or, for streams, server-sent events; anything else (an HTML error page from a
// load balancer, say) must not pass for an answer.
const ANSWER_TYPE = /^\s*(application\/([\w.+-]+\+)?json|text\/event-stream)\b/i;

function checkContentType(upstream: Upstream, response: UpstreamAnswer): UpstreamAnswer {
  const type = response.headers.get('content-type');
  if (type === null || response.status === 204 || ANSWER_TYPE.test(type)) return response;
  response.discard();
  throw malformedAnswerError(upstream, `an unexpected content type (${type.split(';')[0]})`);
}

/**
 * The error for a streamed answer that broke off after its headers, found in `cause`'s chain: it stalled
 * (504) or was cut (502). Undefined when the chain holds neither (an abort, say).
 */
export function findStreamFailure(upstream: Pick<Upstream, 'name'>, cause: unknown): HttpError | undefined {
  for (let e: unknown = cause, depth = 0; e != null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const { code } = e as { code?: unknown };
    if (code === STREAM_STALLED) {
      return new GatewayTimeoutError(
        `${upstream.name} stopped sending the stream for too long, so it was ended before it was complete. Try again later.`,
        cause,
      );
    }
    if (code === BODY_CUT) return streamCutError(upstream, cause);
  }
  return undefined;
}

/** The error for a stream that ended before its end. */
export function streamCutError(upstream: Pick<Upstream, 'name'>, cause: unknown): BadGatewayError {
  return new BadGatewayError(`${upstream.name} stopped sending the stream before it was complete.`, { code: 'upstream_stream_cut', cause });
}

/** Reads an error response (bounded) into an UpstreamHttpError with the normalised, redacted detail. */
export async function toUpstreamHttpError(
  upstream: Upstream,
  response: UpstreamAnswer,
  secrets: readonly (string | undefined)[],
): Promise<UpstreamHttpError> {
  let text = '';
  try {
    text = await response.text(MAX_ERROR_BODY_CHARS + 1);
  } catch {
    // A body that breaks off still leaves the status to report.
  }
  const detail = upstream.readError(response.status, text, secrets);
  return new UpstreamHttpError(
    upstream.name,
    response.status,
    detail,
    parseRetryAfter(response.headers.get('retry-after')),
    response.headers,
  );
}
