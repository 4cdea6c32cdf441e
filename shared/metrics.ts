/**
 * The functions' CloudWatch metrics (EMF through Powertools Metrics), in one place: requests, upstream
 * latency and tokens per route, model and status class (proxy and agent alike), and failed runs.
 *
 * One Metrics object serves all requests (creating one costs a Console and a pass over the environment);
 * each call's dimensions, metrics and publish happen synchronously, so concurrent requests of the local
 * server cannot mix them. Dimension values come from our own tables only (route-table paths, models the
 * Hub accepted, our error types), so no client can create custom metrics at will.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** The namespace every function writes to; the stack sets it and the alarms read it. */
export const METRICS_NAMESPACE = 'IonosAgentBackend';

/** Token counts of one answer. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** What one request reports. */
export interface RequestMetrics {
  /** The route table's path (`/`, `/v1/chat/completions`), or `unknown`. */
  route: string;
  /** The model, `invalid` before one was read, `unverified` when the Hub did not accept it. */
  model: string;
  /** The status the client got; for a stream that failed after its 200, the failure's status. */
  status: number;
  upstreamMs?: number;
  usage?: Usage;
  /**
   * The consumer, for a request that reached IONOS: the same record then counts it for the consumer too
   * (`Requests`, `UpstreamLatency`, `PromptTokens`, `CompletionTokens` by `consumer`, a second dimension set).
   */
  consumer?: string;
}

/** One failed run: the error type of the envelope and how the client got it. */
export interface FailureMetrics {
  errorType: string;
  status: number;
  /** `stream`: the client already had a 200 and got an error event, which API Gateway does not count. */
  mode: 'stream' | 'buffered';
}

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

// Read once, as Powertools does at construction: disabled metrics cost nothing per request.
const disabled = process.env.POWERTOOLS_METRICS_DISABLED === 'true';
let metrics: Metrics | undefined;

/** Publishes one EMF record: `values` under each of the dimension sets (CloudWatch extracts them for every set). */
function publish(
  dimensions: Record<string, string>,
  values: [name: string, unit: Unit, value: number][],
  also?: Record<string, string>,
): void {
  if (disabled) return;
  metrics ??= new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE });
  metrics.addDimensions(dimensions);
  if (also !== undefined) metrics.addDimensions(also);
  for (const [name, unit, value] of values) metrics.addMetric(name, unit, value);
  metrics.publishStoredMetrics();
}

// The token's expiry is one fact for every function that holds it: its own service name, so one alarm reads it.
let credentialMetrics: Metrics | undefined;

/** The service dimension of `IonosTokenDaysToExpiry`, whichever function reports it. */
export const CREDENTIALS_SERVICE = 'ionos-credentials';

/** Emits `IonosTokenDaysToExpiry` (fractional days; negative once expired). */
export function recordTokenExpiry(days: number): void {
  if (disabled) return;
  credentialMetrics ??= new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
    serviceName: CREDENTIALS_SERVICE,
  });
  credentialMetrics.addMetric('IonosTokenDaysToExpiry', MetricUnit.Count, Math.round(days * 100) / 100);
  credentialMetrics.publishStoredMetrics();
}

const statusClass = (status: number) => `${Math.floor(status / 100)}xx`;

/**
 * Emits one request's metrics: `Requests`, `UpstreamLatency`, `PromptTokens`, `CompletionTokens`, by route,
 * model and status class, and by consumer when it reached IONOS. One record for both: a second record per
 * request cost a measurable share of the handler's CPU (`npm run bench`) and as many log bytes again.
 */
export function recordRequestMetrics(m: RequestMetrics): void {
  const values: [string, Unit, number][] = [['Requests', MetricUnit.Count, 1]];
  if (m.upstreamMs !== undefined) values.push(['UpstreamLatency', MetricUnit.Milliseconds, m.upstreamMs]);
  if (m.usage !== undefined) {
    values.push(['PromptTokens', MetricUnit.Count, m.usage.promptTokens], ['CompletionTokens', MetricUnit.Count, m.usage.completionTokens]);
  }
  publish(
    { route: m.route, model: m.model, statusClass: statusClass(m.status) },
    values,
    m.consumer === undefined ? undefined : { consumer: m.consumer },
  );
}

/**
 * Emits `FailedRuns` by error type and mode and, for a server-side failure inside a stream that had already
 * answered 200, `StreamServerErrors` (no extra dimension), which the 5xx alarm adds to API Gateway's count.
 */
export function recordFailure(f: FailureMetrics): void {
  publish({ errorType: f.errorType, mode: f.mode, statusClass: statusClass(f.status) }, [['FailedRuns', MetricUnit.Count, 1]]);
  if (f.mode === 'stream' && f.status >= 500) publish({}, [['StreamServerErrors', MetricUnit.Count, 1]]);
}

/**
 * The metric of each use of the usage table that can fail; all three fail open (docs/usage-and-limits.md: Faults of the usage table), so each
 * has an alarm instead: the ledger write (after the answer), the budget check and the contract limiter.
 */
export const STORE_FAILURE_METRICS = {
  ledger: 'LedgerWriteFailures',
  budgets: 'BudgetCheckFailures',
  limiter: 'ContractLimiterFailures',
} as const;

/** Emits the failure metric of one use of the usage table. */
export function recordStoreFailure(part: keyof typeof STORE_FAILURE_METRICS): void {
  publish({}, [[STORE_FAILURE_METRICS[part], MetricUnit.Count, 1]]);
}

/** Why we answered 429 ourselves (`Rejected` by consumer and reason, for the per-consumer dashboard). */
export type RejectReason = 'budget_exceeded' | 'contract_rate_limited';

/** Emits `Rejected` for a request we refused with 429 before it reached IONOS. */
export function recordRejected(consumer: string, reason: RejectReason): void {
  publish({ consumer, reason }, [['Rejected', MetricUnit.Count, 1]]);
}

/** Emits `MonthlyBudgetUsedPercent` of a consumer with a monthly budget (the 80 % alarm reads it). */
export function recordMonthlyBudgetUse(consumer: string, percent: number): void {
  publish({ consumer }, [['MonthlyBudgetUsedPercent', MetricUnit.Percent, Math.round(percent * 10) / 10]]);
}

/** Emits `ThreadsCreated`: one thread of the LangGraph API created. */
export function recordThreadCreated(): void {
  publish({}, [['ThreadsCreated', MetricUnit.Count, 1]]);
}

/** How a run of the LangGraph API ended: its answer, an error, or the client gone (cancelled, or left to finish). */
export type RunOutcome = 'complete' | 'error' | 'cancelled';

/** Emits `ThreadRuns` by outcome and kind (`thread`, or `stateless` for `/runs/…`). */
export function recordThreadRun(outcome: RunOutcome, kind: 'thread' | 'stateless'): void {
  publish({ outcome, kind }, [['ThreadRuns', MetricUnit.Count, 1]]);
}

/**
 * Parameters of OpenAI's Responses API this API ignores by name (docs/api.md: the Responses API): they count under
 * their own name; any other name counts as `other`, so a client cannot create metrics at will.
 */
const KNOWN_IGNORED = new Set(['context_management', 'moderation', 'text.verbosity', 'tools.web_search', 'tools.web_search_preview']);

/** The metric dimension of an ignored parameter's name (`tools[2].web_search` → `tools.web_search`). */
export function ignoredParameterDimension(name: string): string {
  const normalised = name.replace(/\[\d+\]/g, '');
  if (normalised.startsWith('include.')) return 'include';
  return KNOWN_IGNORED.has(normalised) ? normalised : 'other';
}

/** Emits `IgnoredParameters` for the parameters a `/v1/responses` request sent that were ignored: one record per dimension. */
export function recordIgnoredParameters(names: readonly string[]): void {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(ignoredParameterDimension(name), (counts.get(ignoredParameterDimension(name)) ?? 0) + 1);
  for (const [parameter, count] of counts) publish({ parameter }, [['IgnoredParameters', MetricUnit.Count, count]]);
}
