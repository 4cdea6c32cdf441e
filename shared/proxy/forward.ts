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
import type { HandlerResult } from '#shared/http/handler.ts';
import { BadRequestError, toStatus, TooManyRequestsError, UpstreamHttpError } from '#shared/errors.ts';
import { parseJsonAnswer } from '#shared/http/upstream-fetch.ts';
import type { HubClient } from '#shared/ionos/hub-client.ts';
import { HUB, HUB_PATHS, IMAGE_PATHS } from '#shared/ionos/upstreams.ts';
import type { RuntimeConfig } from '#shared/config.ts';
import type { StudioClient } from '#shared/ionos/studio-client.ts';
import { routeModel, type ModelRoute } from '#shared/models/route-model.ts';
import { recordFailure, recordRejected, recordRequestMetrics, type Usage } from '#shared/metrics.ts';
import { logger } from '#shared/observability.ts';
import { resolveEndpoint, type Endpoint } from '#shared/proxy/endpoints.ts';
import { passedResponseHeaders } from '#shared/proxy/headers.ts';
import { checkGenerationLimits } from '#shared/proxy/limits.ts';
import { relay } from '#shared/proxy/relay.ts';
import { requestFields } from '#shared/proxy/request-body.ts';
import { usageOf, UsageMeter } from '#shared/proxy/usage.ts';
import { studioChatCompletion } from '#shared/proxy/studio-chat.ts';
import { UsageChunkFilter, withUsageRequested } from '#shared/proxy/stream-usage.ts';
import { enforceBudgets, recordUsage } from '#shared/usage/usage.ts';

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
  requestId: string;
  /** Aborts when the client leaves or the function is about to time out. */
  signal?: AbortSignal;
  /** Who called (see `consumerOf`): named in the log line, which a stream writes after the handler returned. */
  consumer?: string;
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

/** Images in an images answer (`data`). */
function imagesOf(answer: unknown): number {
  const data = (answer as { data?: unknown } | undefined)?.data;
  return Array.isArray(data) ? data.length : 0;
}

/** Parses a 2xx JSON answer. */
function parseAnswer(text: string): unknown {
  return text === '' ? undefined : parseJsonAnswer(HUB, text);
}

/**
 * The proxy's error policy, in one place: a request error of the Hub's (a 4xx other than 401/403) is the
 * client's to fix, so it is relayed with its status, IONOS's message (in the OpenAI envelope) and its
 * `Retry-After`; anything else (5xx, a 401/403 about our credentials, no answer) is ours, answered by the
 * error mapper as 502/503/504. The proxy never retries.
 */
function relayedError(err: unknown, requestId: string): HandlerResult | undefined {
  if (!(err instanceof UpstreamHttpError)) return undefined;
  const status = err.upstreamStatus;
  if (status >= 500 || status === 401 || status === 403) return undefined;
  const { message, type, code, param } = err.detail;
  const headers = { ...passedResponseHeaders(err.upstreamHeaders, requestId), 'content-type': 'application/json' };
  return {
    statusCode: status,
    headers,
    body: JSON.stringify({ error: { message, type: type ?? null, code: code ?? null, param: param ?? null } }),
  };
}

/** What forwarding needs besides the request. */
export interface ProxyDeps {
  hub: HubClient;
  studio: StudioClient;
  config: Pick<RuntimeConfig, 'proxyLimits' | 'studioModels' | 'upstreamTimeoutMs' | 'proxyMaxRequestBytes'>;
  /** Time a buffered answer or a Studio job may take (`PROXY_DEADLINE_MS`, below the function timeout). */
  deadlineMs: number;
}

/** Forwards one request. Metrics and one log line are emitted when the answer is complete. */
export async function forward(call: ProxyCall, { hub, studio, config, deadlineMs }: ProxyDeps): Promise<HandlerResult> {
  const started = performance.now();
  // Metric dimensions come from our tables only (the route table's path, models the Hub accepted), so
  // clients cannot create CloudWatch custom metrics at will with random paths or model names.
  let route = 'unknown';
  let model = 'invalid';
  let upstreamMs: number | undefined;
  // Set once the request went to IONOS (Hub or Studio): only those are recorded in the usage ledger.
  let reached = false;
  const report = (status: number, outcome: string, usage?: Usage, counts: { images?: number; studioJobs?: number } = {}) => {
    const latencyMs = Math.round(performance.now() - started);
    recordRequestMetrics({ route, model: status < 300 ? model : 'unverified', status, upstreamMs, usage });
    if (reached && call.consumer !== undefined) {
      recordUsage({
        consumer: call.consumer,
        model: status < 300 ? model : 'unverified',
        failed: status >= 400 || outcome === 'failed',
        promptTokens: usage?.promptTokens,
        completionTokens: usage?.completionTokens,
        ...counts,
      });
    }
    if (outcome === 'failed') recordFailure({ errorType: 'upstream_error', status: 502, mode: 'stream' });
    logger.info('proxied', {
      consumer: call.consumer,
      route,
      path: call.path.slice(0, 200),
      model,
      status,
      latencyMs,
      upstreamMs,
      outcome,
      requestId: call.requestId,
    });
  };
  try {
    const endpoint = resolveEndpoint(call.method, call.path, call.resource);
    route = endpoint.path;
    let streamed = false;
    let upstreamBody: Buffer | string = call.body;
    let hideUsage = false;
    if (endpoint.method === 'POST') {
      const body = await requestFields(call.body, call.headers['content-type'], endpoint);
      checkGenerationLimits(body, endpoint, config.proxyLimits);
      const target = endpoint.requiresModel ? routeOf(body, endpoint, config) : undefined;
      model = target?.modelId ?? 'none';
      streamed = body.stream === true;
      if (call.consumer !== undefined) await enforceBudgets(call.consumer);
      if (target?.target === 'studio') {
        reached = true;
        const answer = await studioChatCompletion(body, target.modelId, studio, deadlineMs, call.signal);
        report(answer.statusCode, 'complete', undefined, { studioJobs: 1 });
        return answer;
      }
      const withUsage = withUsageRequested(endpoint.path, body);
      if (withUsage !== undefined) {
        upstreamBody = withUsage;
        hideUsage = true;
      }
    } else {
      model = 'none';
    }
    let response: Response;
    reached = true;
    try {
      response = await hub.fetch(endpoint.path, {
        method: endpoint.method,
        headers: endpoint.method === 'POST' ? { 'content-type': 'application/json', ...call.headers } : call.headers,
        body: endpoint.method === 'POST' ? upstreamBody : undefined,
        signal: call.signal,
        timeoutMs: streamed ? config.upstreamTimeoutMs : deadlineMs,
      });
    } catch (err) {
      upstreamMs = Math.round(performance.now() - started);
      const relayed = relayedError(err, call.requestId);
      if (relayed === undefined) throw err;
      report(relayed.statusCode, 'complete');
      return relayed;
    }
    upstreamMs = Math.round(performance.now() - started);
    const headers = passedResponseHeaders(response.headers, call.requestId);
    const sse = (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
    if (sse) headers['cache-control'] = 'no-cache';
    if (!sse) {
      // A JSON answer is only usable whole (and arrives whole from the wrapper, a cut one as a 502): as a
      // string it skips the chunk relay and middy's stream pipeline, a large share of the CPU per request. It is
      // parsed once, so a malformed answer becomes a 502 instead of a 200 no SDK can read.
      const text = await response.text();
      const answer = parseAnswer(text);
      report(response.status, 'complete', usageOf(answer), { images: IMAGE_PATHS.has(endpoint.path) ? imagesOf(answer) : 0 });
      return { statusCode: response.status, headers, body: text };
    }
    const meter = new UsageMeter();
    const body =
      response.body === null
        ? ''
        : relay(response.body, {
            onChunk: (chunk) => meter.observe(chunk),
            filter: hideUsage ? new UsageChunkFilter() : undefined,
            // A stream that broke off answered 200 and then an error event: counted as the 502 it is.
            onDone: (outcome) => report(outcome === 'failed' ? 502 : response.status, outcome, meter.usage),
          });
    if (response.body === null) report(response.status, 'complete');
    return { statusCode: response.status, headers, body };
  } catch (err) {
    if (err instanceof TooManyRequestsError && reached) {
      // The contract limiter refused the Hub call or Studio job: it never went to IONOS. (A budget refusal
      // comes before anything is reached, and is counted where it is decided.)
      reached = false;
      if (call.consumer !== undefined) recordRejected(call.consumer, 'contract_rate_limited');
    }
    report(toStatus(err), 'error');
    throw err;
  }
}
