/**
 * What the proxy forwards: exactly the Hub's OpenAI-compatible endpoints (and its rerank endpoint). The upstream path always
 * comes from this table, never from the client's path, so no path trick (`..`, `%2e%2e`, encoded or double
 * slashes, absolute URLs) can reach another upstream path or host.
 */
import { MethodNotAllowedError, NotFoundError } from '#shared/errors.ts';
import { HUB_PATHS } from '#shared/ionos/upstreams.ts';
import { ROUTES } from '#shared/routes.ts';

/** One forwarded endpoint. */
export interface Endpoint {
  path: string;
  method: 'GET' | 'POST';
  /** The request body must name a `model` (the spec requires it). */
  requiresModel: boolean;
  /** Body fields that set how many tokens may be generated, capped by `PROXY_MAX_OUTPUT_TOKENS`. */
  outputTokenFields: readonly string[];
  /** Body fields that multiply the work (choices, candidates, images), capped by `PROXY_MAX_CHOICES`. */
  choiceFields: readonly string[];
  /** The body is `multipart/form-data` (an image and text fields), not JSON. */
  multipart?: boolean;
}

const endpoint = (path: string, method: Endpoint['method'], caps: Partial<Endpoint> = {}): Endpoint => ({
  path,
  method,
  requiresModel: method === 'POST',
  outputTokenFields: [],
  choiceFields: [],
  ...caps,
});

/** The endpoints, by path. */
export const ENDPOINTS: Readonly<Record<string, Endpoint>> = Object.fromEntries(
  [
    endpoint(HUB_PATHS.models, 'GET'),
    endpoint(HUB_PATHS.chatCompletions, 'POST', { outputTokenFields: ['max_tokens', 'max_completion_tokens'], choiceFields: ['n'] }),
    endpoint(HUB_PATHS.completions, 'POST', { outputTokenFields: ['max_tokens'], choiceFields: ['n', 'best_of'] }),
    endpoint(HUB_PATHS.embeddings, 'POST'),
    endpoint(HUB_PATHS.imageGenerations, 'POST', { choiceFields: ['n'] }),
    endpoint(HUB_PATHS.rerank, 'POST'),
    endpoint(HUB_PATHS.imageEdits, 'POST', { choiceFields: ['n'], multipart: true }),
  ].map((e) => [e.path, e]),
);

// Endpoints with a gateway resource of their own (the image limit is a throttle on that resource) are served
// only through it: reached through the greedy `/v1/{proxy+}` (e.g. `/v1/images%2Fgenerations`), they would
// escape that throttle.
const OWN_RESOURCE = new Set(ROUTES.filter((r) => r.function === 'hub-proxy' && r.path in ENDPOINTS).map((r) => r.path));

/**
 * Finds the endpoint for a request path, exactly (no decoding, no normalising).
 * @param resource the gateway resource that received the request (`event.resource`).
 * @throws NotFoundError for anything else, MethodNotAllowedError for a known path with another method.
 */
export function resolveEndpoint(method: string, path: string, resource: string): Endpoint {
  const found = Object.hasOwn(ENDPOINTS, path) ? ENDPOINTS[path] : undefined;
  if (found === undefined) {
    throw new NotFoundError(`Unknown endpoint ${path.slice(0, 200)}. This API forwards ${Object.keys(ENDPOINTS).join(', ')}.`);
  }
  if (OWN_RESOURCE.has(found.path) && resource !== found.path) {
    throw new NotFoundError(`${found.path} is served only at that exact path: send it without encoded slashes (%2F).`);
  }
  if (method !== found.method) throw new MethodNotAllowedError(method, path, [found.method]);
  return found;
}
