/**
 * The proxy: one allowed Hub endpoint, the client's body forwarded byte for byte with the server's IONOS
 * token, and the answer passed back: streams relayed as they arrive, JSON answers once complete. Upstream
 * status and `Retry-After` pass back unchanged for 2xx and 4xx (SDKs back off on their own); upstream 5xx
 * and a 403 (our credentials) become our 502/503/504. The proxy never retries.
 *
 * Time allowed upstream: a stream gets `UPSTREAM_TIMEOUT_MS` for its headers and for each pause between
 * events; a buffered answer (which arrives whole, after the whole generation) gets `PROXY_DEADLINE_MS`,
 * lowered to the function's remaining time. A client that leaves aborts the upstream call either way.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { readBody } from '#shared/http/event.ts';
import type { HandlerResult } from '#shared/http/handler.ts';
import type { UpstreamAnswer } from '#shared/http/upstream-answer.ts';
import { BadRequestError, toErrorBody, UpstreamHttpError } from '#shared/errors.ts';
import { HUB_PATHS } from '#shared/ionos/upstreams.ts';
import type { RuntimeConfig } from '#shared/config.ts';
import { routeModel, type ModelRoute } from '#shared/models/route-model.ts';
import { hubEstimate, NO_COST } from '#shared/pipeline/estimate.ts';
import { readMeteredJson, type HubRequest, type MeteredCall } from '#shared/pipeline/hub-request.ts';
import { resolveEndpoint, type Endpoint } from '#shared/proxy/endpoints.ts';
import { forwardedRequestHeaders, passedResponseHeaders } from '#shared/proxy/headers.ts';
import { checkGenerationLimits } from '#shared/proxy/limits.ts';
import { relay } from '#shared/proxy/relay.ts';
import { requestFields } from '#shared/proxy/request-body.ts';
import { studioChatCompletion, studioCompletion } from '#shared/proxy/studio-chat.ts';
import { UsageChunkFilter, withUsageRequested } from '#shared/proxy/stream-usage.ts';

/** One request to forward. */
export interface ProxyCall {
  method: string;
  /** The client's path, e.g. `/v1/chat/completions`. */
  path: string;
  /** The gateway resource that received it (`event.resource`), e.g. `/v1/{proxy+}`. */
  resource: string;
  body: Buffer;
  /** Already filtered by the request header allowlist. */
  headers: Record<string, string>;
}

/**
 * The proxy call of an API Gateway event: its body held to `maxBytes`, its headers filtered by the
 * allowlist. @throws PayloadTooLargeError over the limit.
 */
export function proxyCallOf(event: APIGatewayProxyEvent, path: string, maxBytes: number): ProxyCall {
  return {
    method: event.httpMethod,
    path,
    resource: event.resource,
    body: readBody(event, maxBytes),
    headers: forwardedRequestHeaders(event),
  };
}

/** Reads and routes `model`: present where the spec requires it; a UUID (Studio) only for chat completions. */
function routeOf(body: Record<string, unknown>, endpoint: Endpoint, config: ProxyDeps['config']): ModelRoute {
  if (typeof body.model !== 'string' || body.model.trim() === '') {
    throw new BadRequestError('"model" is required: name a model from GET /v1/models, e.g. "mistralai/Mistral-Small-24B-Instruct".', {
      param: 'model',
      code: 'missing_model',
    });
  }
  const route = routeModel(body.model, 'model', config.studioModels);
  if (route.target === 'studio' && endpoint.path !== HUB_PATHS.chatCompletions) {
    throw new BadRequestError('Fine-tuned Studio models (UUIDs) answer chat completions only (POST /v1/chat/completions).', {
      param: 'model',
      code: 'studio_model',
    });
  }
  return route;
}

/**
 * An upstream error answer the client has to act on (see `UpstreamHttpError`, the one policy), relayed with
 * the status and envelope that policy gives it and the upstream's `Retry-After` and request id; anything
 * else (5xx, a 401/403 about our credentials, no answer) is thrown on, answered as 502/503/504.
 */
function relayedError(err: unknown, requestId: string): HandlerResult | undefined {
  if (!(err instanceof UpstreamHttpError) || !err.isClients) return undefined;
  const headers = { ...passedResponseHeaders(err.upstreamHeaders, requestId), ...err.headers, 'content-type': 'application/json' };
  return { statusCode: err.status, headers, body: JSON.stringify(toErrorBody(err)) };
}

/**
 * Checks a generation request against the proxy's limits and routes its model, noting the model and the
 * mode on the request: the same for every POST of the proxy and for each model call of the bridge.
 * @returns the model's route (undefined for an endpoint without one).
 */
function admitBody(
  body: Record<string, unknown>,
  endpoint: Endpoint,
  request: HubRequest,
  config: ProxyDeps['config'],
): ModelRoute | undefined {
  checkGenerationLimits(body, endpoint, config.proxyLimits);
  const target = endpoint.requiresModel ? routeOf(body, endpoint, config) : undefined;
  request.model = target?.modelId ?? 'none';
  if (body.stream === true) request.context.mode = 'stream';
  return target;
}

/** One Hub call through the pipeline; an upstream error the client has to act on comes back as its answer. */
async function fetchOrRelay(
  request: HubRequest,
  path: string,
  options: Parameters<HubRequest['hubFetch']>[1],
): Promise<{ response: UpstreamAnswer; call: MeteredCall } | { relayed: HandlerResult }> {
  try {
    return await request.hubFetch(path, options);
  } catch (err) {
    const relayed = relayedError(err, request.context.requestId);
    if (relayed === undefined) throw err;
    return { relayed };
  }
}

/** What forwarding needs besides the request. */
export interface ProxyDeps {
  config: Pick<RuntimeConfig, 'proxyLimits' | 'studioModels' | 'upstreamTimeoutMs' | 'proxyMaxRequestBytes'>;
  /** Time a buffered answer or a Studio job may take (`PROXY_DEADLINE_MS`, below the function timeout). */
  deadlineMs: number;
}

/**
 * Forwards one request through its HubRequest, which admits, limits, meters and records it; the request
 * is finished here when its answer is complete (a stream's when it ends), and by the handler on an error.
 */
export async function forward(call: ProxyCall, request: HubRequest, { config, deadlineMs }: ProxyDeps): Promise<HandlerResult> {
  // Metric dimensions come from our tables only (the route table's path, models the Hub accepted), so
  // clients cannot create CloudWatch custom metrics at will with random paths or model names.
  const endpoint = resolveEndpoint(call.method, call.path, call.resource);
  if (request.context.route === 'unknown') request.context.route = endpoint.path;
  let streamed = false;
  let upstreamBody: Buffer | string = call.body;
  let hideUsage = false;
  let estimate = NO_COST;
  if (endpoint.method === 'POST') {
    const body = await requestFields(call.body, call.headers['content-type'], endpoint);
    const target = admitBody(body, endpoint, request, config);
    streamed = body.stream === true;
    if (target?.target === 'studio') {
      const answer = await studioChatCompletion(body, target.modelId, request, deadlineMs);
      request.finish(answer.statusCode, 'complete');
      return answer;
    }
    const withUsage = withUsageRequested(endpoint.path, body);
    if (withUsage !== undefined) {
      upstreamBody = withUsage;
      hideUsage = true;
    }
    estimate = hubEstimate(endpoint.path, body, call.body.byteLength);
  } else {
    request.model = 'none';
  }
  const fetched = await fetchOrRelay(request, endpoint.path, {
    method: endpoint.method,
    headers: endpoint.method === 'POST' ? { 'content-type': 'application/json', ...call.headers } : call.headers,
    body: endpoint.method === 'POST' ? upstreamBody : undefined,
    timeoutMs: streamed ? config.upstreamTimeoutMs : deadlineMs,
    estimate,
  });
  if ('relayed' in fetched) {
    request.finish(fetched.relayed.statusCode, 'complete');
    return fetched.relayed;
  }
  const { response, call: metered } = fetched;
  const headers = passedResponseHeaders(response.headers, request.context.requestId);
  const sse = (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
  if (sse) headers['cache-control'] = 'no-cache';
  if (!sse) {
    // A JSON answer is only usable whole (and arrives whole from the wrapper, a cut one as a 502): as a
    // string it skips the chunk relay and middy's stream pipeline, a large share of the CPU per request. It is
    // parsed once, so a malformed answer becomes a 502 instead of a 200 no SDK can read.
    const { text } = await readMeteredJson(response, metered);
    request.finish(response.status, 'complete');
    return { statusCode: response.status, headers, body: text };
  }
  if (response.stream === null) {
    request.finish(response.status, 'complete');
    return { statusCode: response.status, headers, body: '' };
  }
  const body = relay(response.stream, {
    onChunk: (chunk) => metered.observe(chunk),
    filter: hideUsage ? new UsageChunkFilter() : undefined,
    // A stream that broke off answered 200 and then an error event: counted as the 502 it is. One the
    // client left is charged what it cost (see estimate.ts).
    onDone: (outcome) => request.finish(outcome === 'failed' ? 502 : response.status, outcome),
  });
  return { statusCode: response.status, headers, body };
}

/** A chat completion the Hub (or Studio) answered, as values: for the Responses bridge, which translates them. */
export type HubChatAnswer =
  | { kind: 'completion'; headers: Record<string, string>; completion: unknown }
  | { kind: 'stream'; headers: Record<string, string>; body: ReadableStream<Uint8Array>; call: MeteredCall }
  /** An upstream error the client has to act on, in the proxy's answer for it (the one error policy). */
  | { kind: 'refused'; answer: HandlerResult };

/**
 * One chat completion through the request's pipeline, with every rule of `/v1/chat/completions` (limits,
 * model and Studio routing, estimate, budgets, contract, metering), its answer as a value. The request is
 * not finished here: a caller that makes several calls (the bridge's hosted search) finishes it once.
 */
export async function hubChat(
  chat: Record<string, unknown>,
  request: HubRequest,
  { config, deadlineMs }: ProxyDeps,
  signal?: AbortSignal,
): Promise<HubChatAnswer> {
  const path = HUB_PATHS.chatCompletions;
  const target = admitBody(chat, resolveEndpoint('POST', path, path), request, config);
  if (target?.target === 'studio') {
    return { kind: 'completion', headers: {}, completion: await studioCompletion(chat, target.modelId, request, deadlineMs) };
  }
  const body = JSON.stringify(chat);
  const fetched = await fetchOrRelay(request, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    timeoutMs: chat.stream === true ? config.upstreamTimeoutMs : deadlineMs,
    signal,
    estimate: hubEstimate(path, chat, Buffer.byteLength(body)),
  });
  if ('relayed' in fetched) return { kind: 'refused', answer: fetched.relayed };
  const { response, call } = fetched;
  const headers = passedResponseHeaders(response.headers, request.context.requestId);
  if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream') && response.stream !== null)
    return { kind: 'stream', headers, body: response.stream, call };
  return { kind: 'completion', headers, completion: (await readMeteredJson(response, call)).value };
}
