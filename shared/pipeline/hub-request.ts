/**
 * The one pipeline to IONOS. Every client request that can reach the Hub or Studio is one `HubRequest`,
 * begun by its handler with the consumer (always known: a request without a key is `anonymous`), and every
 * call it makes to IONOS goes through it:
 *
 * 1. **admit**: the call's estimate (see estimate.ts) is reserved against the consumer's budgets, one
 *    conditional write that is also the budget check (429 `budget_exceeded` before anything is sent);
 * 2. **limit**: before each attempt, a slot of the IONOS contract and of the consumer's share of it
 *    (429 `contract_rate_limited` / `contract_share_exceeded`, or a wait within the agent's deadline);
 * 3. **call**, through the Hub or Studio client (token, redaction, retries, typed errors);
 * 4. **meter**: usage from the JSON answer or the stream as it passes, and what was relayed of a stream;
 * 5. **finish**, once, when the answer is complete, failed, or the client left: each reservation settled
 *    with what the call used (its own usage, or the estimate of a call cut short, marked as estimated), one
 *    ledger entry, the request's metrics and one log line.
 *
 * A route that reaches IONOS without a HubRequest has no client to call it with: the Hub and Studio clients
 * are the pipeline's, not the handlers' (`test/integration/pipeline-coverage.test.ts` walks the route table).
 *
 * The usage table's parts fail open: a store that is down never fails a request (IONOS still enforces its
 * contract with its own 429s); each failure is logged and counted in its metric, which has an alarm.
 */
import { afterResponse } from '#shared/http/after-response.ts';
import { toErrorBody, toStatus, TooManyRequestsError, UpstreamHttpError } from '#shared/errors.ts';
import { parseJsonAnswer, type RetryPolicy } from '#shared/http/upstream-fetch.ts';
import type { UpstreamAnswer } from '#shared/http/upstream-answer.ts';
import type { HubCallOptions, HubClient } from '#shared/ionos/hub-client.ts';
import type { StudioClient, StudioGenerateRequest, StudioGenerateResult } from '#shared/ionos/studio-client.ts';
import { HUB, IMAGE_PATHS } from '#shared/ionos/upstreams.ts';
import {
  recordFailure,
  recordMonthlyBudgetUse,
  recordRejected,
  recordRequestMetrics,
  recordStoreFailure,
  type RejectReason,
  type Usage,
} from '#shared/metrics.ts';
import { logger } from '#shared/logger.ts';
import { modelCallEstimate, sseEvents, STUDIO_JOB, type Estimate } from '#shared/pipeline/estimate.ts';
import { usageOf, UsageMeter } from '#shared/pipeline/usage-meter.ts';
import { hasBudgets, reserve, settle, type Charge, type Reservation } from '#shared/usage/budgets.ts';
import { currentConsumers } from '#shared/usage/current-consumers.ts';
import { budgetsOf, shareOf, type Budgets } from '#shared/usage/consumer-settings.ts';
import type { ContractBucket } from '#shared/usage/contract.ts';
import { contractLimiter, usageLedger, usageStore } from '#shared/usage/usage-parts.ts';

/** The IONOS clients the pipeline calls through, created once per container. */
export interface PipelineClients {
  hub: HubClient;
  studio: StudioClient;
}

/** One client request, as its handler begins it. */
export interface RequestContext {
  /** Who called (see `consumerOf`). */
  consumer: string;
  /** The log line's message: `proxied` for the proxy's routes, `agent run` for the agent (`POST /` and thread runs). */
  kind: 'proxied' | 'agent run';
  /** The route table's path, the metric dimension (the proxy sets the endpoint's once it is known). */
  route: string;
  requestId: string;
  mode: 'buffered' | 'stream';
  /** Aborts when the client leaves or the function is about to time out. */
  signal?: AbortSignal;
  /** Epoch ms until which a call waits for a contract slot (the agent); without it none free is a 429. */
  waitUntil?: number;
}

/** How a request ended: its answer complete, a stream broken off upstream, the client gone, or an error answer. */
export type Outcome = 'complete' | 'failed' | 'aborted' | 'error';

/** What one call to IONOS used, as far as it is known. */
class MeteredCall {
  /** It went to IONOS (its contract slot was taken), so IONOS may bill it. */
  reached = false;
  /** IONOS answered it with an error status: nothing was generated. */
  refused = false;
  #meter = new UsageMeter();
  #usage: Usage | undefined;
  #images: number | undefined;
  #relayed = 0;

  readonly estimate: Estimate;
  readonly reservation: Reservation | undefined;

  constructor(estimate: Estimate, reservation: Reservation | undefined) {
    this.estimate = estimate;
    this.reservation = reservation;
  }

  /** Feeds a chunk of the answer's stream as it passes. */
  observe(chunk: Uint8Array): void {
    this.#meter.observe(chunk);
    this.#relayed += sseEvents(chunk);
  }

  /** Reads a parsed JSON answer's usage and images. */
  answered(answer: unknown): void {
    this.#usage = usageOf(answer);
    const data = (answer as { data?: unknown } | undefined)?.data;
    if (this.estimate.charge.images > 0) this.#images = Array.isArray(data) ? data.length : 0;
  }

  /** What the call used: its own usage, else the estimate (prompt + what was relayed). */
  used(): { charge: Charge; usage: Usage; estimated: boolean } {
    if (!this.reached || this.refused)
      return { charge: { tokens: 0, images: 0, studioJobs: 0 }, usage: { promptTokens: 0, completionTokens: 0 }, estimated: false };
    const { charge, promptTokens } = this.estimate;
    const known = this.#usage ?? this.#meter.usage;
    const usage = known ?? { promptTokens, completionTokens: this.#relayed };
    return {
      charge: { tokens: usage.promptTokens + usage.completionTokens, images: this.#images ?? charge.images, studioJobs: charge.studioJobs },
      usage,
      estimated: known === undefined && promptTokens > 0,
    };
  }
}

/** Options of one Hub call through the pipeline. */
export interface PipelineHubCall extends Omit<HubCallOptions, 'slot'> {
  /** What the call is reserved against the budgets, and charged if cut short (see estimate.ts). */
  estimate: Estimate;
}

/** One client request on its way to IONOS; see the module comment. */
export class HubRequest {
  /** The metric dimension and log field; `invalid` until a model was read, from our tables only. */
  model = 'invalid';
  /** Extra fields of the log line (`path`, `finishReason`, …). */
  readonly fields: Record<string, unknown> = {};
  readonly #calls: MeteredCall[] = [];
  readonly #budgets: Budgets;
  readonly #started = performance.now();
  #ahead: Reservation | undefined;
  #upstreamMs: number | undefined;
  #finished = false;

  readonly context: RequestContext;
  readonly clients: PipelineClients;

  constructor(context: RequestContext, clients: PipelineClients) {
    this.context = context;
    this.clients = clients;
    this.#budgets = budgetsOf(currentConsumers(), context.consumer);
  }

  get consumer(): string {
    return this.context.consumer;
  }

  /**
   * Reserves the first call's estimate now, before a stream's 200 is sent, so a consumer over budget gets a
   * real 429; the next call uses this reservation. @throws TooManyRequestsError (`budget_exceeded`).
   */
  async admitAhead(estimate: Estimate): Promise<void> {
    this.#ahead = await this.#reserve(estimate.charge);
  }

  /**
   * One Hub call. @returns the 2xx answer and its meter (feed it the body: see {@link readMeteredJson}).
   * @throws TooManyRequestsError (budgets, the contract), UpstreamHttpError and the fetch wrapper's errors.
   */
  async hubFetch(path: string, { estimate, ...options }: PipelineHubCall): Promise<{ response: UpstreamAnswer; call: MeteredCall }> {
    const call = await this.#admit(estimate);
    const buckets: ContractBucket[] = IMAGE_PATHS.has(path) ? ['requests', 'images'] : ['requests'];
    try {
      const response = await this.clients.hub.fetch(path, {
        ...options,
        signal: options.signal ?? this.context.signal,
        slot: this.#slot(call, buckets),
      });
      this.#upstreamMs = Math.round(performance.now() - this.#started);
      return { response, call };
    } catch (err) {
      this.#upstreamMs = Math.round(performance.now() - this.#started);
      if (err instanceof UpstreamHttpError) call.refused = true;
      throw err;
    }
  }

  /** One Studio job (admitted as one job against `studioJobsPerDay`; Studio reports no tokens). */
  async studioJob(request: Omit<StudioGenerateRequest, 'slot'>): Promise<StudioGenerateResult> {
    const call = await this.#admit(STUDIO_JOB);
    try {
      return await this.clients.studio.generate({
        ...request,
        signal: request.signal ?? this.context.signal,
        slot: this.#slot(call, ['requests']),
      });
    } finally {
      this.#upstreamMs = Math.round(performance.now() - this.#started);
    }
  }

  /**
   * A `fetch` for the OpenAI SDK (the agent's model): each request it sends is one metered Hub call,
   * reserved at the agent's `maxTokens`, its answer checked and read as it passes.
   */
  modelFetch({ hubBaseUrl, maxTokens, retry }: { hubBaseUrl: string; maxTokens: number; retry: RetryPolicy }): typeof fetch {
    return async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const body = init?.body as string | undefined;
      const bytes = body === undefined ? 0 : Buffer.byteLength(body);
      const { response, call } = await this.hubFetch(url.slice(hubBaseUrl.length), {
        method: init?.method ?? 'GET',
        headers: Object.fromEntries(new Headers(init?.headers).entries()),
        body,
        signal: init?.signal ?? undefined,
        retry,
        estimate: modelCallEstimate(bytes, maxTokens),
      });
      return meteredResponse(response, call);
    };
  }

  /**
   * Runs the handler's work for this request; work that throws before its answer is sent finishes the
   * request with the error's status (and rethrows, for the handler's one error answer).
   */
  async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      this.finish(toStatus(err), 'error', err);
      throw err;
    }
  }

  /**
   * Ends the request, once (later calls are ignored): settles its reservations, writes its ledger entry
   * (when a call reached IONOS), its metrics and its one log line. `error` is what the client got instead
   * of an answer.
   */
  finish(status: number, outcome: Outcome, error?: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    const { consumer, kind, route, mode } = this.context;
    const latencyMs = Math.round(performance.now() - this.#started);
    const reached = this.#calls.filter((c) => c.reached);
    const total = { promptTokens: 0, completionTokens: 0, images: 0, studioJobs: 0, estimated: false };
    for (const call of this.#calls) {
      const { charge, usage, estimated } = call.used();
      total.promptTokens += usage.promptTokens;
      total.completionTokens += usage.completionTokens;
      total.images += charge.images;
      total.studioJobs += charge.studioJobs;
      total.estimated ||= estimated;
      if (call.reservation !== undefined) this.#settle(call.reservation, charge);
    }
    if (this.#ahead !== undefined) this.#settle(this.#ahead, { tokens: 0, images: 0, studioJobs: 0 }); // never used: given back
    const model = status < 300 ? this.model : 'unverified';
    const usage = reached.length > 0 ? { promptTokens: total.promptTokens, completionTokens: total.completionTokens } : undefined;
    recordRequestMetrics({
      route,
      model,
      status,
      upstreamMs: this.#upstreamMs,
      usage,
      consumer: reached.length > 0 ? consumer : undefined,
    });
    if (reached.length > 0) {
      const entry = {
        consumer,
        model,
        failed: status >= 400 || outcome === 'failed',
        promptTokens: total.promptTokens,
        completionTokens: total.completionTokens,
        images: total.images,
        studioJobs: total.studioJobs,
        estimated: total.estimated,
      };
      const ledger = usageLedger();
      if (ledger !== null) {
        afterResponse(
          ledger.record(entry).catch((err: unknown) => {
            recordStoreFailure('ledger');
            logger.error('usage ledger write failed', { entry, error: err as Error });
          }),
        );
      }
    }
    if (outcome === 'failed') recordFailure({ errorType: 'upstream_error', status: 502, mode: 'stream' });
    const fields = {
      consumer,
      route,
      model: this.model,
      mode,
      status,
      outcome,
      latencyMs,
      upstreamMs: this.#upstreamMs,
      promptTokens: usage?.promptTokens,
      completionTokens: usage?.completionTokens,
      estimated: total.estimated || undefined,
      requestId: this.context.requestId,
      ...this.fields,
    };
    if (kind === 'agent run' && error !== undefined) {
      const { type, code } = toErrorBody(error).error;
      recordFailure({ errorType: type, status, mode });
      if (status >= 500) logger.error('agent run failed', { ...fields, errorType: type, code, error: error as Error });
      else logger.info('agent run failed', { ...fields, errorType: type, code });
      return;
    }
    logger.info(kind, fields);
  }

  /** A reservation of `charge`, or undefined without budgets (or with the store down: fail-open). */
  async #reserve(charge: Charge): Promise<Reservation | undefined> {
    const store = usageStore();
    if (store === null || !hasBudgets(this.#budgets)) return undefined;
    try {
      return await reserve(store, this.consumer, this.#budgets, charge, new Date());
    } catch (err) {
      if (err instanceof TooManyRequestsError) {
        recordRejected(this.consumer, 'budget_exceeded');
        throw err;
      }
      recordStoreFailure('budgets');
      logger.error('budget reservation failed; letting the request through', { consumer: this.consumer, error: err as Error });
      return undefined;
    }
  }

  async #admit(estimate: Estimate): Promise<MeteredCall> {
    const ahead = this.#ahead;
    this.#ahead = undefined;
    const call = new MeteredCall(estimate, ahead ?? (await this.#reserve(estimate.charge)));
    this.#calls.push(call);
    return call;
  }

  /** The contract slot a call awaits before each attempt; taking it marks the call as reaching IONOS. */
  #slot(call: MeteredCall, buckets: readonly ContractBucket[]): () => Promise<void> {
    const { consumer, waitUntil, signal } = this.context;
    const fraction = shareOf(consumer, this.#budgets);
    return async () => {
      const limiter = contractLimiter();
      if (limiter !== null) {
        try {
          await limiter.take(buckets, { share: { consumer, fraction }, waitUntil, signal });
        } catch (err) {
          if (err instanceof TooManyRequestsError) {
            recordRejected(consumer, (err.code ?? 'contract_rate_limited') as RejectReason);
            throw err;
          }
          if (signal?.aborted === true) throw err;
          recordStoreFailure('limiter');
          logger.error('contract limiter failed; letting the call through', { error: err as Error });
        }
      }
      call.reached = true;
    };
  }

  #settle(reservation: Reservation, used: Charge): void {
    const store = usageStore();
    if (store === null) return;
    const { tokensPerMonth } = this.#budgets;
    afterResponse(
      settle(store, reservation, used).then(
        (monthTokens) => {
          if (tokensPerMonth !== undefined) recordMonthlyBudgetUse(this.consumer, (monthTokens / tokensPerMonth) * 100);
        },
        (err: unknown) => {
          recordStoreFailure('budgets');
          logger.error('budget settlement failed', { consumer: this.consumer, reservation, used, error: err as Error });
        },
      ),
    );
  }
}

/** Creates the pipeline over the IONOS clients: `begin` starts one client request. */
export function createPipeline(clients: PipelineClients): { begin(context: RequestContext): HubRequest } {
  return { begin: (context) => new HubRequest(context, clients) };
}

/**
 * The answer as a `Response` (for the OpenAI SDK) with its body read through the call's meter: a JSON
 * answer is read whole and checked (a malformed one is a 502, not the SDK's SyntaxError), a stream is
 * observed chunk by chunk as it passes.
 */
export async function meteredResponse(response: UpstreamAnswer, call: MeteredCall): Promise<Response> {
  const headers = [...response.headers.entries()];
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    return new Response((await readMeteredJson(response, call)).text, { status: response.status, headers });
  }
  if (response.stream === null) return response.toResponse();
  const observed = response.stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        call.observe(chunk);
        controller.enqueue(chunk);
      },
    }),
  );
  return new Response(observed, { status: response.status, headers });
}

/**
 * Reads a JSON answer whole, checks it (a malformed one is a 502, not a 200 no client can read) and meters
 * it. @returns its text (to relay as it is) and its value (to translate).
 */
export async function readMeteredJson(response: UpstreamAnswer, call: MeteredCall): Promise<{ text: string; value: unknown }> {
  const text = await response.text();
  const value = text === '' ? undefined : parseJsonAnswer(HUB, text);
  call.answered(value);
  return { text, value };
}

export type { MeteredCall };
