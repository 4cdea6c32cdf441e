/**
 * Usage metrics of the proxy as CloudWatch EMF (Powertools Metrics): requests, upstream latency and tokens
 * per route, model and status class. A fresh Metrics object per request keeps concurrent requests (the
 * local server runs many in one process) from mixing dimensions.
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
export function recordProxyMetrics(m: ProxyMetrics): void {
  const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'IonosAgentBackend' });
  metrics.addDimensions({ route: m.route, model: m.model, statusClass: `${Math.floor(m.status / 100)}xx` });
  metrics.addMetric('Requests', MetricUnit.Count, 1);
  if (m.upstreamMs !== undefined) metrics.addMetric('UpstreamLatency', MetricUnit.Milliseconds, m.upstreamMs);
  if (m.usage !== undefined) {
    metrics.addMetric('PromptTokens', MetricUnit.Count, m.usage.promptTokens);
    metrics.addMetric('CompletionTokens', MetricUnit.Count, m.usage.completionTokens);
  }
  metrics.publishStoredMetrics();
}
