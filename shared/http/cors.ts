import { ROUTES } from '#shared/routes.ts';

/**
 * CORS, in one place: the gateway answers preflights (the stack and the local server build them from
 * these lists) and every function response carries `Access-Control-Allow-Origin` for allowed origins.
 */

/** Request headers a browser may send. */
export const CORS_ALLOW_HEADERS = ['content-type', 'authorization', 'x-api-key', 'x-model-id'];
/**
 * Methods a browser may use: every method a route serves, from the route table, so a new route's method
 * cannot be left out of the preflight. `ANY` (the `/v1` pass-through) forwards only GET and POST, which
 * routes of their own name already.
 */
export const CORS_ALLOW_METHODS = [...new Set(ROUTES.map((r) => r.method).filter((m) => m !== 'ANY')), 'OPTIONS'];
/** Response headers a browser may read. */
export const CORS_EXPOSE_HEADERS = [
  'retry-after',
  'x-request-id',
  'x-ignored-parameters',
  'content-location',
  'deprecation',
  'sunset',
  'link',
];

/** Headers for an actual response: only for an allowed origin. */
export function corsHeaders(origin: string | undefined, allowed: readonly string[]): Record<string, string> {
  if (origin === undefined || !allowed.includes(origin)) return {};
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': CORS_EXPOSE_HEADERS.join(', '), vary: 'Origin' };
}

/** Headers for a preflight answer. */
export function preflightHeaders(origin: string | undefined, allowed: readonly string[]): Record<string, string> {
  const base = corsHeaders(origin, allowed);
  if (Object.keys(base).length === 0) return {};
  return {
    ...base,
    'access-control-allow-methods': CORS_ALLOW_METHODS.join(', '),
    'access-control-allow-headers': CORS_ALLOW_HEADERS.join(', '),
    'access-control-max-age': '600',
  };
}
