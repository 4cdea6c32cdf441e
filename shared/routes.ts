/**
 * The one route table: which function serves which method and path, and how each function runs.
 * Read by the CDK stack (API Gateway resources, integrations, function settings) and by the local server,
 * so the deployed API and `npm start` cannot drift.
 */

/** Settings of one Lambda function; the handler lives in `functions/<name>.ts` as `handler`. */
export interface FunctionSpec {
  /** Response-streaming handler (API Gateway STREAM transfer mode) or buffered. */
  streaming: boolean;
  timeoutSeconds: number;
  memoryMb: number;
  /** Reads the IONOS credentials secret. */
  readsSecret: boolean;
  /**
   * Calls IONOS for a client, through the one pipeline (shared/pipeline/): its routes are throttled to the
   * contract, its settings include the contract's and the consumers', and the coverage test walks them.
   */
  callsIonos: boolean;
  description: string;
}

/** Every function, by the name of its file in `functions/`. */
export const FUNCTIONS = {
  agent: {
    streaming: true,
    // Long enough for Studio jobs and multi-step tool runs; the agent's own deadline stays below it.
    timeoutSeconds: 300,
    memoryMb: 1024,
    readsSecret: true,
    callsIonos: true,
    description: 'POST /: the LangGraph ReAct agent over the IONOS Hub, or a fine-tuned Studio model; its threads and runs (LangGraph API)',
  },
  'hub-proxy': {
    streaming: true,
    timeoutSeconds: 300,
    memoryMb: 512,
    readsSecret: true,
    callsIonos: true,
    description: "/v1/*: OpenAI-compatible pass-through to the IONOS Hub, the caller's usage, and the legacy native /models routes",
  },
  // Apart from the pass-through: a Responses call runs a tool loop (several Hub calls, hosted searches) and
  // holds stored conversations, so it gets its own reserved concurrency and the thin proxy its small bundle.
  responses: {
    streaming: true,
    timeoutSeconds: 300,
    memoryMb: 512,
    readsSecret: true, // the hosted web_search tool's key
    callsIonos: true,
    description: "/v1/responses: the OpenAI Responses API over the Hub's chat completions, with stored responses",
  },
  'studio-models': {
    streaming: false,
    timeoutSeconds: 10,
    memoryMb: 256,
    readsSecret: false,
    callsIonos: false,
    description: 'GET /studio/models: the configured fine-tuned Studio model names and UUIDs',
  },
  // Not behind routes: the gateway's authorizer and the scheduled smoke test.
  authorizer: {
    streaming: false,
    timeoutSeconds: 5,
    memoryMb: 256,
    readsSecret: false,
    callsIonos: false,
    description: 'TOKEN authorizer: Authorization: Bearer <api key> as the usage-plan key',
  },
  'smoke-test': {
    streaming: false,
    timeoutSeconds: 300,
    memoryMb: 256,
    readsSecret: true, // only to report how long the IONOS token has left
    callsIonos: false, // it calls the deployed API, whose functions account for what reaches IONOS
    description: 'Scheduled smoke test of every route of the deployed API',
  },
} as const satisfies Record<string, FunctionSpec>;

/** A function name from {@link FUNCTIONS}. */
export type FunctionName = keyof typeof FUNCTIONS;

/** The functions that call IONOS for a client ({@link FunctionSpec.callsIonos}). */
export const IONOS_CALLERS = (Object.keys(FUNCTIONS) as FunctionName[]).filter((name) => FUNCTIONS[name].callsIonos);

/** HTTP methods a route can take; `ANY` matches all. */
export type RouteMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'ANY';

/**
 * What a function does on a route. hub-proxy: the `/v1` pass-through, the caller's usage, the two legacy
 * native routes. responses: a response created, or a stored one read or deleted. agent: `POST /` has none;
 * the rest are the LangGraph API's.
 */
export type Operation =
  | 'proxy'
  | 'usage'
  | 'responses'
  | 'response-item'
  | 'legacy-models'
  | 'legacy-predict'
  | 'info'
  | 'ok'
  | 'assistants-search'
  | 'assistant'
  | 'thread-create'
  | 'thread-search'
  | 'thread'
  | 'thread-state'
  | 'thread-history'
  | 'run-stream'
  | 'run-wait'
  | 'unsupported';

/**
 * Where a route takes the caller's API key from: `Authorization: Bearer` (what OpenAI clients send), or
 * either that or `x-api-key` (what the LangGraph SDK and agent UIs send).
 */
export type KeySource = 'bearer' | 'bearer-or-x-api-key';

/** One API route. `path` uses API Gateway syntax: `{name}` for a segment, `{name+}` for the rest. */
export interface Route {
  method: RouteMethod;
  path: string;
  function: FunctionName;
  /** For a function that serves several routes: which of its operations this route is. */
  operation?: Operation;
  /** Where the API key is read from; `bearer` when unset. */
  keys?: KeySource;
}

// The LangGraph API's routes: the agent function, keys from either header.
const langgraph = (method: RouteMethod, path: string, operation: Operation): Route => ({
  method,
  path,
  function: 'agent',
  operation,
  keys: 'bearer-or-x-api-key',
});

/** Every route of the API. */
export const ROUTES: readonly Route[] = [
  { method: 'POST', path: '/', function: 'agent' },
  { method: 'GET', path: '/studio/models', function: 'studio-models' },
  // Its own resource so the gateway can throttle it to IONOS's image limit; listed before the greedy path.
  { method: 'POST', path: '/v1/images/generations', function: 'hub-proxy', operation: 'proxy' },
  { method: 'POST', path: '/v1/images/edits', function: 'hub-proxy', operation: 'proxy' },
  // The caller's own usage from the ledger; ours, not IONOS's, so it is matched before the greedy path.
  { method: 'GET', path: '/v1/usage', function: 'hub-proxy', operation: 'usage' },
  { method: 'POST', path: '/v1/responses', function: 'responses', operation: 'responses' },
  { method: 'GET', path: '/v1/responses/{id}', function: 'responses', operation: 'response-item' },
  { method: 'DELETE', path: '/v1/responses/{id}', function: 'responses', operation: 'response-item' },
  { method: 'ANY', path: '/v1/{proxy+}', function: 'hub-proxy', operation: 'proxy' },
  { method: 'GET', path: '/models', function: 'hub-proxy', operation: 'legacy-models' },
  { method: 'POST', path: '/models/{modelPath+}', function: 'hub-proxy', operation: 'legacy-predict' },
  // The LangGraph Platform API (threads and runs), for agent UIs; literal paths before their siblings' parameters.
  langgraph('GET', '/info', 'info'),
  langgraph('GET', '/ok', 'ok'),
  langgraph('POST', '/assistants/search', 'assistants-search'),
  langgraph('GET', '/assistants/{assistant_id}', 'assistant'),
  langgraph('POST', '/threads', 'thread-create'),
  langgraph('POST', '/threads/search', 'thread-search'),
  langgraph('GET', '/threads/{thread_id}', 'thread'),
  langgraph('DELETE', '/threads/{thread_id}', 'thread'),
  langgraph('PATCH', '/threads/{thread_id}', 'thread'),
  langgraph('GET', '/threads/{thread_id}/state', 'thread-state'),
  langgraph('GET', '/threads/{thread_id}/state/{checkpoint_id}', 'thread-state'),
  langgraph('POST', '/threads/{thread_id}/history', 'thread-history'),
  langgraph('POST', '/threads/{thread_id}/runs/stream', 'run-stream'),
  langgraph('POST', '/threads/{thread_id}/runs/wait', 'run-wait'),
  langgraph('POST', '/runs/stream', 'run-stream'),
  langgraph('POST', '/runs/wait', 'run-wait'),
  // What a Lambda function cannot do, refused with a 400 that says so (see shared/threads/api.ts).
  langgraph('POST', '/threads/{thread_id}/runs', 'unsupported'),
  langgraph('GET', '/threads/{thread_id}/runs/{run_id}/stream', 'unsupported'),
  langgraph('POST', '/threads/{thread_id}/runs/crons', 'unsupported'),
  langgraph('POST', '/runs', 'unsupported'),
  langgraph('POST', '/runs/crons', 'unsupported'),
  langgraph('ANY', '/store/{path+}', 'unsupported'),
];

/** The operation of the route at a gateway resource (`event.resource`). */
export function operationOf(resource: string): Operation | undefined {
  return ROUTES.find((r) => r.path === resource)?.operation;
}

/** The request's path: the gateway resource with its path parameters put in (`/v1/{proxy+}` → `/v1/models`). */
export function fillPath(resource: string, pathParameters: Record<string, string | undefined> | null): string {
  // A route's resource is split once (SEGMENTS, as the matcher uses it): this runs on every request.
  const segments = SEGMENTS.get(resource);
  if (segments === undefined) return resource.replace(/\{(\w+)\+?\}/g, (_, name: string) => pathParameters?.[name] ?? '');
  return `/${segments.map((s) => ('param' in s ? (pathParameters?.[s.param] ?? '') : s.literal)).join('/')}`;
}

/** A route matched against a concrete path, with its path parameters. */
export interface RouteMatch {
  route: Route;
  pathParameters: Record<string, string> | null;
}

// A route path as segments, split once: matching runs for every request of the local server.
type Segment = { literal: string } | { param: string; greedy: boolean };
const COMPILED = ROUTES.map((route) => ({
  route,
  segments: route.path
    .split('/')
    .filter(Boolean)
    .map((segment): Segment => {
      const param = /^\{(\w+)(\+?)\}$/.exec(segment);
      return param ? { param: param[1] as string, greedy: param[2] === '+' } : { literal: segment };
    }),
}));
const SEGMENTS = new Map(COMPILED.map(({ route, segments }) => [route.path, segments]));

/**
 * Finds the route for a method and path, as API Gateway would.
 * @returns the match; `{ allowed }` listing the methods that exist when only the path matches; undefined for no path.
 */
export function matchRoute(method: string, path: string): RouteMatch | { allowed: string[] } | undefined {
  const have = path.split('/').filter(Boolean);
  const allowed: string[] = [];
  for (const { route, segments } of COMPILED) {
    const params = matchSegments(segments, have);
    if (params === undefined) continue;
    if (route.method === 'ANY' || route.method === method) {
      return { route, pathParameters: Object.keys(params).length === 0 ? null : params };
    }
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { allowed } : undefined;
}

function matchSegments(want: readonly Segment[], have: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i] as Segment;
    if ('param' in segment && segment.greedy) {
      if (i >= have.length) return undefined;
      params[segment.param] = have.slice(i).join('/');
      return params;
    }
    const value = have[i];
    if (value === undefined) return undefined;
    if ('param' in segment) params[segment.param] = value;
    else if (segment.literal !== value) return undefined;
  }
  return want.length === have.length ? params : undefined;
}
