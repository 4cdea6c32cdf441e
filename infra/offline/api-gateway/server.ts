/**
 * The local API server: for each HTTP request it finds the route in the shared route table, builds the API
 * Gateway REST proxy event, calls the same handler module Lambda runs (buffered or response-streaming),
 * and writes the result back. Gateway-level answers (404, 405, 413) use the same error envelope.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { getConfig } from '#shared/config.ts';
import {
  BadGatewayError,
  BadRequestError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  toErrorBody,
  toErrorResponse,
} from '#shared/errors.ts';
import { preflightHeaders } from '#shared/http/cors.ts';
import { keyFingerprint } from '#shared/http/api-key.ts';
import { GATEWAY_ERRORS, type GatewayError } from '#shared/http/gateway-errors.ts';
import { FUNCTIONS, matchRoute, ROUTES, type FunctionName, type KeySource } from '#shared/routes.ts';
import { parseBudgets, type Budgets } from '#shared/usage/consumer-settings.ts';
import { installAwsLambdaShim, isStreamingHandler, LocalResponseStream } from '#infra/offline/api-gateway/awslambda-shim.ts';
import { buildContext, buildProxyEvent } from '#infra/offline/api-gateway/lambda-event.ts';
import { readRequestBody } from '#infra/offline/api-gateway/read-body.ts';

/** API Gateway's payload limit for REST APIs. */
export const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** A running local API. */
export interface LocalApi {
  url: string;
  server: Server;
  close(): Promise<void>;
}

type AnyHandler = (...args: unknown[]) => Promise<unknown>;

/**
 * Imports the handler module of every function that serves a route, as Lambda does at init; config errors
 * surface here. Each is invoked in the mode the route table gives it, as the deployed integration is, and
 * a handler built in the other mode stops the start instead of working here and failing once deployed.
 */
async function loadHandlers(): Promise<Map<FunctionName, AnyHandler>> {
  installAwsLambdaShim();
  const handlers = new Map<FunctionName, AnyHandler>();
  for (const name of new Set(ROUTES.map((r) => r.function))) {
    const module = (await import(new URL(`../../../functions/${name}.ts`, import.meta.url).href)) as { handler: AnyHandler };
    if (isStreamingHandler(module.handler) !== FUNCTIONS[name].streaming) {
      throw new Error(
        `functions/${name}.ts exports a ${isStreamingHandler(module.handler) ? 'streaming' : 'buffered'} handler, but shared/routes.ts says streaming: ${FUNCTIONS[name].streaming}. Build it with createHandler('${name}', ...).`,
      );
    }
    handlers.set(name, module.handler);
  }
  return handlers;
}

function send(res: ServerResponse, result: Partial<APIGatewayProxyResult>): void {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) headers[k] = v.map(String);
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(result.body === undefined ? '' : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8'));
}

function sendGatewayError(res: ServerResponse, error: GatewayError, cors: Record<string, string>): void {
  send(res, {
    statusCode: error.status,
    headers: { 'content-type': 'application/json', ...error.headers, ...cors },
    body: JSON.stringify(error.body),
  });
}

/**
 * What API Gateway checks before a function runs: with `LOCAL_API_KEYS` set, a request needs
 * `Authorization: Bearer <one of them>` (or, on the routes that take it, `x-api-key: <one of them>`); 401
 * without a key, 403 with a wrong one.
 * @param keys API key → the id API Gateway would hand the function (see `localApiKeys`).
 */
function checkApiKey(
  req: IncomingMessage,
  keys: Map<string, string>,
  source: KeySource,
): { denied: GatewayError } | { apiKeyId: string | null } {
  if (keys.size === 0) return { apiKeyId: null };
  const header = req.headers['x-api-key'];
  const key =
    /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ??
    (source === 'bearer-or-x-api-key' && typeof header === 'string' ? header.trim() : undefined);
  if (key === undefined) return { denied: GATEWAY_ERRORS.UNAUTHORIZED };
  const apiKeyId = keys.get(key);
  return apiKeyId === undefined ? { denied: GATEWAY_ERRORS.INVALID_API_KEY } : { apiKeyId };
}

/**
 * `LOCAL_API_KEYS`: comma-separated keys, each optionally named (`alice:<key>`). API Gateway hands a function
 * the matched key's id; locally the key's fingerprint stands in for it, and named keys become the
 * functions' `CONSUMERS` (as the stack writes them from CDK context), so usage is recorded by name.
 * `LOCAL_BUDGETS` (JSON, name → `{ "tokensPerDay", "imagesPerDay", "contractShare", … }`, the budget settings of
 * `CONSUMERS`) gives them budgets and contract shares.
 * @throws Error naming a budget that is wrong or belongs to no named key.
 */
export function localApiKeys(
  value: string | undefined,
  budgetsJson?: string,
): { keys: Map<string, string>; consumers: ({ apiKeyId: string; name: string } & Budgets)[] } {
  const keys = new Map<string, string>();
  const consumers: ({ apiKeyId: string; name: string } & Budgets)[] = [];
  for (const entry of (value ?? '').split(',').map((e) => e.trim())) {
    if (entry === '') continue;
    const at = entry.indexOf(':');
    const key = at === -1 ? entry : entry.slice(at + 1);
    const apiKeyId = keyFingerprint(key);
    keys.set(key, apiKeyId);
    if (at !== -1) consumers.push({ apiKeyId, name: entry.slice(0, at) });
  }
  if (budgetsJson !== undefined) {
    let budgets: unknown;
    try {
      budgets = JSON.parse(budgetsJson);
    } catch {
      throw new Error('LOCAL_BUDGETS: must be JSON, e.g. {"alice": {"tokensPerDay": 100000}}');
    }
    if (budgets === null || typeof budgets !== 'object' || Array.isArray(budgets)) {
      throw new Error('LOCAL_BUDGETS: must be a JSON object of consumer names, e.g. {"alice": {"tokensPerDay": 100000}}');
    }
    for (const [name, settings] of Object.entries(budgets)) {
      const consumer = consumers.find((c) => c.name === name);
      if (consumer === undefined) throw new Error(`LOCAL_BUDGETS: "${name}" is not a named key of LOCAL_API_KEYS`);
      Object.assign(consumer, parseBudgets((settings ?? {}) as Record<string, unknown>, `LOCAL_BUDGETS: "${name}"`));
    }
  }
  return { keys, consumers };
}

async function handle(
  handlers: Map<FunctionName, AnyHandler>,
  req: IncomingMessage,
  res: ServerResponse,
  keys: Map<string, string>,
): Promise<void> {
  const method = req.method ?? 'GET';
  // Split by hand: `new URL('//host/x', base)` would read a host out of a double-slash path.
  const raw = req.url ?? '/';
  const queryAt = raw.indexOf('?');
  const path = queryAt === -1 ? raw : raw.slice(0, queryAt);
  const url = new URL('http://localhost');
  url.pathname = path.startsWith('/') ? path : `/${path}`;
  url.search = queryAt === -1 ? '' : raw.slice(queryAt);

  const origin = req.headers.origin;
  const allowed = getConfig().allowedOrigins;
  if (method === 'OPTIONS' && matchRoute('ANY', url.pathname) !== undefined) {
    res.writeHead(204, preflightHeaders(origin, allowed));
    return void res.end();
  }
  const match = matchRoute(method, url.pathname);
  const auth = checkApiKey(req, keys, match !== undefined && 'route' in match ? (match.route.keys ?? 'bearer') : 'bearer');
  if ('denied' in auth) return sendGatewayError(res, auth.denied, preflightHeaders(origin, allowed));
  if (match === undefined)
    return send(res, toErrorResponse(new NotFoundError(`No route for ${method} ${url.pathname}. The routes are listed in docs/api.md.`)));
  if ('allowed' in match) return send(res, toErrorResponse(new MethodNotAllowedError(method, url.pathname, match.allowed)));

  const body = await readRequestBody(req, GATEWAY_MAX_BODY_BYTES);
  const name = match.route.function;
  const spec = FUNCTIONS[name];
  const handler = handlers.get(name) as AnyHandler;
  const event = buildProxyEvent(req, url, match, body, auth.apiKeyId);
  const context = buildContext(name, spec.timeoutSeconds, spec.memoryMb);

  if (!spec.streaming) {
    send(res, (await handler(event, context)) as APIGatewayProxyResult);
    return;
  }
  const stream = new LocalResponseStream(res);
  // The stream's 'error' has no listener until the handler pipes a body into it: a client that leaves before
  // the head would otherwise be an unhandled 'error' that ends the process. The handler learns of it from
  // the stream's 'close' (its abort signal) and from its own writes failing.
  stream.on('error', () => undefined);
  res.on('close', () => {
    if (!res.writableFinished) stream.destroy(new Error('client disconnected'));
  });
  await handler(event, stream, context);
}

/** Starts the local API. Handlers are imported first, so invalid configuration fails the start. */
export async function startLocalApi(options: { port?: number; host?: string } = {}): Promise<LocalApi> {
  const { keys, consumers } = localApiKeys(process.env.LOCAL_API_KEYS, process.env.LOCAL_BUDGETS);
  if (consumers.length > 0) process.env.CONSUMERS ??= JSON.stringify(consumers); // before the handlers read their config
  const handlers = await loadHandlers();
  // Invocations still running (a handler may go on after its response ended, e.g. writing the usage ledger):
  // close() waits for them, as Lambda lets an invocation finish.
  const running = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const invocation = handle(handlers, req, res, keys).catch((err: unknown) => {
      if (res.destroyed) return; // the client left; nobody reads an answer
      if (res.headersSent) {
        res.destroy(); // mid-stream failure: cut the connection so it cannot pass for a complete answer
      } else if (err instanceof PayloadTooLargeError) {
        send(res, toErrorResponse(err));
      } else {
        console.error('local server: the function failed outside its error handler', err);
        send(res, toErrorResponse(new BadGatewayError('The function failed to produce a response.')));
      }
    });
    running.add(invocation);
    void invocation.finally(() => running.delete(invocation));
  });
  // A request Node cannot parse (a raw non-ASCII target, a broken header) never reaches `handle`; it
  // still gets an answer in the envelope, as API Gateway would give its own 400.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) return void socket.destroy();
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify(
      toErrorBody(
        new BadRequestError(tooLarge ? 'Request headers are too large.' : `Malformed HTTP request (${err.code ?? 'parse error'}).`, {
          code: 'malformed_request',
        }),
      ),
    );
    socket.end(
      `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8000, options.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    server,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all([...running]);
    },
  };
}
