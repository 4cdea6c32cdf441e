/**
 * What the API gateway answers by itself, before any function runs: auth failures, throttling, unknown
 * routes. The stack turns these into API Gateway gateway responses and the local server answers the same,
 * so clients meet one envelope everywhere.
 */
import type { ErrorBody } from '#shared/errors.ts';

/** One gateway answer. */
export interface GatewayError {
  status: number;
  body: ErrorBody;
  /** Static extra headers, e.g. Retry-After on throttling. */
  headers?: Record<string, string>;
}

const answer = (status: number, type: string, code: string, message: string, headers?: Record<string, string>): GatewayError => ({
  status,
  headers,
  body: { error: { message, type, code, param: null } },
});

/** Keyed by API Gateway's gateway response types. */
export const GATEWAY_ERRORS = {
  UNAUTHORIZED: answer(
    401,
    'authentication_error',
    'missing_api_key',
    'Missing or malformed API key: send "Authorization: Bearer <api key>".',
  ),
  ACCESS_DENIED: answer(403, 'permission_error', 'access_denied', 'This API key is not allowed to call this route.'),
  INVALID_API_KEY: answer(
    403,
    'authentication_error',
    'invalid_api_key',
    'Invalid API key: check the key sent in "Authorization: Bearer <api key>".',
  ),
  MISSING_AUTHENTICATION_TOKEN: answer(404, 'invalid_request_error', 'not_found', 'No such route: the routes are listed in docs/api.md.'),
  THROTTLED: answer(
    429,
    'rate_limit_error',
    'rate_limit_exceeded',
    'Too many requests: this API is rate limited. Retry after the time in Retry-After.',
    { 'retry-after': '1' },
  ),
  QUOTA_EXCEEDED: answer(
    429,
    'rate_limit_error',
    'quota_exceeded',
    'The daily quota of this API key is used up. It resets at midnight UTC.',
    { 'retry-after': '3600' },
  ),
  REQUEST_TOO_LARGE: answer(413, 'invalid_request_error', 'payload_too_large', 'Request body is larger than the gateway accepts (10 MB).'),
  DEFAULT_4XX: answer(400, 'invalid_request_error', 'bad_request', 'The request was rejected by the API gateway.'),
  DEFAULT_5XX: answer(502, 'server_error', 'gateway_error', 'The API gateway could not get an answer from the function. Try again later.'),
} satisfies Record<string, GatewayError>;
