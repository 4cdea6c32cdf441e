/**
 * Error classes and the one error → response mapper.
 *
 * Every route answers errors in the OpenAI envelope `{"error":{"message","type","code","param"}}` so
 * OpenAI SDKs and chat frontends show the real message. The expose rule: messages of 4xx errors and of
 * the 5xx classes below (written by us, never containing upstream bodies) are shown; anything else
 * becomes a generic 500 so stack traces and internal names never reach a client.
 */
import { AnswerHeaders } from '#shared/http/upstream-answer.ts';

/** The OpenAI-compatible error envelope. */
export interface ErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}

interface HttpErrorOptions {
  type: string;
  code?: string | null;
  param?: string | null;
  headers?: Record<string, string>;
  cause?: unknown;
}

/** Base class of every error that knows its HTTP status. Its message is shown to the client. */
export class HttpError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, options: HttpErrorOptions) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.type = options.type;
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }
}

/** 400: the request is malformed; `param` names the offending field when there is one. */
export class BadRequestError extends HttpError {
  constructor(message: string, options: { param?: string; code?: string; cause?: unknown } = {}) {
    super(400, message, { type: 'invalid_request_error', code: options.code ?? 'invalid_request', ...options });
  }
}

/** 404: no such route or resource; `code`/`param` name what was not found when it is a field's value. */
export class NotFoundError extends HttpError {
  constructor(message: string, options: { code?: string; param?: string } = {}) {
    super(404, message, { type: 'invalid_request_error', code: options.code ?? 'not_found', param: options.param });
  }
}

/** 409: the resource is not in a state to take the request (a thread busy with a run, an id taken). */
export class ConflictError extends HttpError {
  constructor(message: string, options: { code: string; param?: string }) {
    super(409, message, { type: 'invalid_request_error', code: options.code, param: options.param });
  }
}

/** 405: the path exists but not for this method; `allow` lists the methods that do. */
export class MethodNotAllowedError extends HttpError {
  constructor(method: string, path: string, allow: string[]) {
    super(405, `Method ${method} is not allowed on ${path}. Allowed: ${allow.join(', ')}.`, {
      type: 'invalid_request_error',
      code: 'method_not_allowed',
      headers: { allow: allow.join(', ') },
    });
  }
}

/** 413: the request body is larger than the configured limit. */
export class PayloadTooLargeError extends HttpError {
  constructor(limitBytes: number) {
    super(413, `Request body is larger than the limit of ${limitBytes} bytes. Send a smaller body.`, {
      type: 'invalid_request_error',
      code: 'payload_too_large',
    });
  }
}

/**
 * 429 of our own making: a consumer's token budget is used up (`budget_exceeded`) or the IONOS contract's
 * shared rate has no request free (`contract_rate_limited`). `Retry-After` says when to try again.
 */
export class TooManyRequestsError extends HttpError {
  constructor(message: string, options: { code: string; retryAfterSeconds: number }) {
    super(429, message, {
      type: 'rate_limit_error',
      code: options.code,
      headers: { 'retry-after': String(Math.max(1, Math.ceil(options.retryAfterSeconds))) },
    });
  }
}

/** 502: an upstream answered with an error or could not be reached. The message is ours, never upstream's body. */
export class BadGatewayError extends HttpError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(502, message, { type: 'upstream_error', code: options.code ?? 'bad_gateway', cause: options.cause });
  }
}

/** 503: a dependency of ours (credentials, Studio configuration) is not available. */
export class ServiceUnavailableError extends HttpError {
  constructor(message: string, options: { code?: string; retryAfterSeconds?: number; cause?: unknown } = {}) {
    const headers: Record<string, string> =
      options.retryAfterSeconds === undefined ? {} : { 'retry-after': String(Math.ceil(options.retryAfterSeconds)) };
    super(503, message, { type: 'service_unavailable', code: options.code ?? 'service_unavailable', headers, cause: options.cause });
  }
}

/** 504: an upstream did not answer within its time budget. */
export class GatewayTimeoutError extends HttpError {
  constructor(message: string, cause?: unknown) {
    super(504, message, { type: 'timeout_error', code: 'upstream_timeout', cause });
  }
}

/** The work was cancelled because the client went away or the caller aborted; nobody reads the answer. */
export class RequestAbortedError extends HttpError {
  constructor(cause?: unknown) {
    super(499, 'The request was cancelled before it completed.', { type: 'request_aborted', code: 'aborted', cause });
  }
}

/** The detail of an upstream error, already normalised into the OpenAI envelope's fields and redacted. */
export interface UpstreamErrorDetail {
  message: string;
  type?: string | null;
  code?: string | null;
  param?: string | null;
}

/**
 * An upstream (IONOS Hub or Studio) answered with an HTTP error. The one error policy for upstream answers,
 * for the proxy, the Responses bridge and the agent alike: 429 stays 429 with `Retry-After`; a request error
 * (any other 4xx but 401/403) keeps its status and upstream's message so the client can fix the request; a
 * rejected server credential (401/403) is our misconfiguration, 502; 503 and 504 keep their meaning; any
 * other failure is 502. {@link UpstreamHttpError.isClients} says which side has to act.
 */
export class UpstreamHttpError extends HttpError {
  readonly upstreamStatus: number;
  readonly retryAfterSeconds: number | undefined;
  readonly detail: UpstreamErrorDetail;
  /** The error answer's headers, for a caller that relays it (`Retry-After`, a request id). */
  readonly upstreamHeaders: AnswerHeaders;

  constructor(
    upstream: string,
    upstreamStatus: number,
    detail: UpstreamErrorDetail,
    retryAfterSeconds?: number,
    upstreamHeaders: AnswerHeaders = new AnswerHeaders(),
  ) {
    const retry: Record<string, string> =
      retryAfterSeconds === undefined ? {} : { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) };
    const passed = { code: detail.code ?? null, param: detail.param ?? null };
    if (upstreamStatus === 429) {
      super(429, `${upstream} rate limit reached: ${detail.message}`, {
        type: 'rate_limit_error',
        code: detail.code ?? 'rate_limit_exceeded',
        headers: retry,
      });
    } else if (upstreamStatus >= 400 && upstreamStatus < 500 && upstreamStatus !== 401 && upstreamStatus !== 403) {
      super(upstreamStatus, `${upstream} rejected the request: ${detail.message}`, { type: 'invalid_request_error', ...passed });
    } else if (upstreamStatus === 401 || upstreamStatus === 403) {
      super(
        502,
        `${upstream} rejected this server's credentials (HTTP ${upstreamStatus}). The operator must check the IONOS credentials secret.`,
        { type: 'upstream_error', code: 'upstream_auth_failed' },
      );
    } else if (upstreamStatus === 503 || upstreamStatus === 504) {
      super(upstreamStatus, `${upstream} is unavailable (HTTP ${upstreamStatus}). Try again later.`, {
        type: upstreamStatus === 503 ? 'service_unavailable' : 'timeout_error',
        code: 'upstream_unavailable',
        headers: retry,
      });
    } else {
      super(502, `${upstream} returned HTTP ${upstreamStatus}. Try again later.`, { type: 'upstream_error', code: 'upstream_error' });
    }
    this.upstreamStatus = upstreamStatus;
    this.retryAfterSeconds = retryAfterSeconds;
    this.detail = detail;
    this.upstreamHeaders = upstreamHeaders;
  }

  /** True when the answer is the client's to act on (a request error or a rate limit), not our failure. */
  get isClients(): boolean {
    return this.status < 500;
  }
}

const GENERIC_500: ErrorBody = {
  error: { message: 'Internal server error. Try again later.', type: 'server_error', code: 'internal_error', param: null },
};

/** Builds the envelope for any thrown value, applying the expose rule. */
export function toErrorBody(err: unknown): ErrorBody {
  if (!(err instanceof HttpError)) return structuredClone(GENERIC_500);
  return { error: { message: err.message, type: err.type, code: err.code, param: err.param } };
}

/** HTTP status for any thrown value: its own for `HttpError`, 500 otherwise. */
export function toStatus(err: unknown): number {
  return err instanceof HttpError ? err.status : 500;
}

/** A buffered API Gateway proxy response. */
export interface JsonResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The one error → response mapper used by every handler. */
export function toErrorResponse(err: unknown): JsonResponse {
  const headers = { 'content-type': 'application/json', ...(err instanceof HttpError ? err.headers : {}) };
  return { statusCode: toStatus(err), headers, body: JSON.stringify(toErrorBody(err)) };
}
