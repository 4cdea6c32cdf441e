/**
 * The scheduled smoke test: runs the smoke checks against the deployed API over HTTPS with the dedicated
 * smoke consumer's key (read from its secret at run time), checks how long the IONOS token has left,
 * emits success, latency and days-to-expiry metrics, and fails the invocation on any miss so the scheduler
 * retries and the alarm sees it.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { getConfig } from '#shared/config.ts';
import { createCredentialStore } from '#shared/credentials.ts';
import { tokenDaysToExpiry } from '#shared/ionos/token-expiry.ts';
import { recordTokenExpiry } from '#shared/metrics.ts';
import { logger } from '#shared/logger.ts';
import { SecretsManagerSource } from '#shared/secrets-source.ts';
import { runSmokeChecks, tokenExpiryCheck, type CheckResult } from '#shared/smoke/checks.ts';

const metrics = new Metrics();
const secrets = new SecretsManagerSource();
const config = getConfig('smoke-test');
const credentials = createCredentialStore(config);

/**
 * The token's days to expiry as a check, and as the metric on every run (the store reports it at most
 * hourly; the alarm needs data even when no client calls). A secret that cannot be read fails the check.
 */
async function tokenCheck(): Promise<CheckResult> {
  try {
    const days = tokenDaysToExpiry((await credentials.get()).ionosApiToken);
    if (days !== undefined) recordTokenExpiry(days);
    return tokenExpiryCheck(days);
  } catch (err) {
    return { name: 'IONOS token expiry', ok: false, ms: 0, detail: (err as Error).message };
  }
}

function required(value: string | undefined, name: string): string {
  if (value === undefined) throw new Error(`Smoke test misconfigured: ${name} is not set.`);
  return value;
}

export async function handler(): Promise<{ ok: true; checks: number }> {
  const { apiUrl, keySecretArn, model } = config.smoke;
  const apiKey = String(await secrets.get(required(keySecretArn, 'SMOKE_KEY_SECRET_ARN'), { maxAge: 3_600 }));
  const results = [
    ...(await runSmokeChecks({ baseUrl: required(apiUrl, 'API_URL'), apiKey, model: required(model, 'SMOKE_MODEL'), timeoutMs: 60_000 })),
    await tokenCheck(),
  ];
  for (const r of results) {
    const one = metrics.singleMetric();
    one.addDimension('check', r.name);
    one.addMetric('SmokeCheckLatency', MetricUnit.Milliseconds, r.ms);
  }
  const failed = results.filter((r) => !r.ok);
  metrics.addMetric('SmokeSuccess', MetricUnit.Count, failed.length === 0 ? 1 : 0);
  metrics.publishStoredMetrics();
  logger.info('smoke run', { results });
  if (failed.length > 0) throw new Error(`Smoke test failed: ${failed.map((r) => `${r.name}: ${r.detail}`).join('; ')}`);
  return { ok: true, checks: results.length };
}
