/**
 * One metric per function that calls IONOS (`callsIonos` in shared/routes.ts), for alarms that add or
 * compare them in metric math: a function added to the table is counted without touching the alarms.
 */
import type { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { IONOS_CALLERS, type FunctionName } from '#shared/routes.ts';

/** A function's id in metric math, which takes letters and digits only: its name in camelCase (`hub-proxy`: hubProxy). */
export const metricIdOf = (fn: FunctionName) => fn.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

/**
 * `metric` of every function that calls IONOS, by metric math id (`usingMetrics`), and each id as a term
 * with missing data as 0 (`terms`: `FILL(agent, 0)`, …) to join into an expression.
 */
export function callerMetrics(metric: (service: FunctionName) => Metric): { usingMetrics: Record<string, Metric>; terms: string[] } {
  const usingMetrics = Object.fromEntries(IONOS_CALLERS.map((name) => [metricIdOf(name), metric(name)]));
  return { usingMetrics, terms: Object.keys(usingMetrics).map((id) => `FILL(${id}, 0)`) };
}
