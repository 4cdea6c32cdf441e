// The scheduled smoke function against the local API: its key comes from Secrets Manager (mocked: AWS is
// the one thing that cannot run here), it emits SmokeSuccess, and it fails the invocation on a miss.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { captureLines } from '#test/helpers/capture-lines.ts';
import { jwtExpiringIn } from '#test/helpers/jwt.ts';
import { startLocalStack, type LocalStack } from '#test/helpers/local-stack.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'IonosAgentBackend';
  process.env.POWERTOOLS_SERVICE_NAME = 'smoke-test';
});

const KEY = 'smoke-function-key-0123456789';
let stack: LocalStack;
let sim: Simulator;
const sm = mockClient(SecretsManagerClient);

beforeAll(async () => {
  stack = await startLocalStack(
    {
      LOCAL_API_KEYS: KEY,
      SMOKE_MODEL: 'mistralai/Mistral-Small-24B-Instruct',
      SMOKE_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:smoke-AbCdEf',
    },
    { hubToken: jwtExpiringIn(30.5) },
  ); // IONOS tokens are JWTs
  ({ sim } = stack);
  process.env.API_URL = stack.api.url;
  sm.on(GetSecretValueCommand).resolves({ SecretString: KEY });
});
afterAll(async () => {
  sm.restore();
  await stack.close();
});

async function invoke(): Promise<{ result: unknown; lines: Record<string, unknown>[] }> {
  const { handler } = await import('#functions/smoke-test.ts');
  return captureLines(() => handler().catch((err: unknown) => err));
}

describe('smoke-test function', () => {
  it('passes every check with the key from its secret and reports SmokeSuccess = 1', async () => {
    const { result, lines } = await invoke();
    expect(result).toEqual({ ok: true, checks: 5 });
    expect(sm.commandCalls(GetSecretValueCommand)[0]?.args[0].input.SecretId).toBe(process.env.SMOKE_KEY_SECRET_ARN);
    expect(lines.find((l) => 'SmokeSuccess' in l)).toMatchObject({ SmokeSuccess: 1, service: 'smoke-test' });
    expect(lines.filter((l) => 'SmokeCheckLatency' in l).map((l) => l.check)).toEqual([
      'GET /v1/models',
      'GET /studio/models',
      'POST /',
      'POST /?stream=true',
      'IONOS token expiry',
    ]);
  });

  it('reports the days left on the IONOS token as a metric the expiry alarm reads, and in its log', async () => {
    const { lines } = await invoke();
    expect(lines.find((l) => 'IonosTokenDaysToExpiry' in l)).toMatchObject({
      service: 'ionos-credentials',
      IonosTokenDaysToExpiry: expect.closeTo(30.5, 1),
    });
    const run = lines.find((l) => l.message === 'smoke run') as { results: { name: string; detail: string }[] };
    expect(run.results.find((r) => r.name === 'IONOS token expiry')?.detail).toBe('expires in 30 days');
  });

  it('fails the invocation and reports SmokeSuccess = 0 when a check misses', async () => {
    sim.control.faults.push({ path: '/v1/models', status: 503 });
    const { result, lines } = await invoke();
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toContain('GET /v1/models: HTTP 503');
    expect(lines.find((l) => 'SmokeSuccess' in l)).toMatchObject({ SmokeSuccess: 0 });
  });
});
