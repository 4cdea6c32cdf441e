/**
 * What the proxy forwards: exactly the Hub's five OpenAI-compatible endpoints. The upstream path always
 * comes from this table, never from the client's path, so no path trick (`..`, `%2e%2e`, encoded or double
 * slashes, absolute URLs) can reach another upstream path or host.
 */
import { MethodNotAllowedError, NotFoundError } from '#shared/errors.ts';
import { HUB_PATHS } from '#shared/ionos/upstreams.ts';

/** One forwarded endpoint. */
export interface Endpoint {
  path: string;
  method: 'GET' | 'POST';
  /** The request body must name a `model` (the spec requires it). */
  requiresModel: boolean;
}

/** The endpoints, by path. */
export const ENDPOINTS: Readonly<Record<string, Endpoint>> = Object.fromEntries(
  [
    { path: HUB_PATHS.models, method: 'GET', requiresModel: false },
    { path: HUB_PATHS.chatCompletions, method: 'POST', requiresModel: true },
    { path: HUB_PATHS.completions, method: 'POST', requiresModel: true },
    { path: HUB_PATHS.embeddings, method: 'POST', requiresModel: true },
    { path: HUB_PATHS.imageGenerations, method: 'POST', requiresModel: true },
  ].map((e) => [e.path, e as Endpoint]),
);

/**
 * Finds the endpoint for a request path, exactly (no decoding, no normalising).
 * @throws NotFoundError for anything else, MethodNotAllowedError for a known path with another method.
 */
export function resolveEndpoint(method: string, path: string): Endpoint {
  const endpoint = Object.hasOwn(ENDPOINTS, path) ? ENDPOINTS[path] : undefined;
  if (endpoint === undefined) {
    throw new NotFoundError(`Unknown endpoint ${path.slice(0, 200)}. This API forwards ${Object.keys(ENDPOINTS).join(', ')}.`);
  }
  if (method !== endpoint.method) throw new MethodNotAllowedError(method, path, [endpoint.method]);
  return endpoint;
}
