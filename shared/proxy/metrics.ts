/**
 * Usage metrics of the proxy as CloudWatch EMF (Powertools Metrics): requests, upstream latency and tokens
 * per route, model and status class. One Metrics object serves all requests (creating one costs a Console
 * and a pass over the environment); each request's dimensions, metrics and publish happen in one
 * synchronous call, so concurrent requests of the local server cannot mix them.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Usage } from '#shared/proxy/usage.ts';

/** What one proxied request reports. */
export interface ProxyMetrics {
  route: string;
  /** The model, or `invalid` for requests that never reached a model. */
  model: string;
  status: number;
  upstreamMs: number | undefined;
  usage: Usage | undefined;
}

/** Emits one request's metrics. */
let metrics: Metrics | undefined;
// Read once, as Powertools does at construction: disabled metrics cost nothing per request.
const disabled = process.env.POWERTOOLS_METRICS_DISABLED === 'true';

export function recordProxyMetrics(m: ProxyMetrics): void {
  if (disabled) return;
  metrics ??= new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'IonosAgentBackend' });
  metrics.addDimensions({ route: m.route, model: m.model, statusClass: `${Math.floor(m.status / 100)}xx` });
  metrics.addMetric('Requests', MetricUnit.Count, 1);
  if (m.upstreamMs !== undefined) metrics.addMetric('UpstreamLatency', MetricUnit.Milliseconds, m.upstreamMs);
  if (m.usage !== undefined) {
    metrics.addMetric('PromptTokens', MetricUnit.Count, m.usage.promptTokens);
    metrics.addMetric('CompletionTokens', MetricUnit.Count, m.usage.completionTokens);
  }
  metrics.publishStoredMetrics();
}
