// The deployed functions' consumer map: read from the SSM parameter the stack writes (mocked AWS: SSM
// cannot run here), cached for five minutes, and kept when a read fails.
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const ssm = mockClient(SSMClient);
const MAP = JSON.stringify([
  { apiKeyId: 'id-alice', name: 'alice', tokensPerDay: 100 },
  { apiKeyId: 'id-bob', name: 'bob' },
]);

/** The module with fresh state (its cache and the config it reads). */
async function load(env: Record<string, string>) {
  vi.resetModules();
  vi.stubEnv('AWS_REGION', 'eu-central-1');
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  return import('#shared/usage/current-consumers.ts');
}

beforeEach(() => ssm.reset());
afterEach(() => vi.unstubAllEnvs());

describe('consumer map', () => {
  it('reads names and budgets from the parameter, once per five minutes', async () => {
    ssm.on(GetParameterCommand, { Name: '/Stack/consumers' }).resolves({ Parameter: { Value: MAP } });
    const { currentConsumers, refreshConsumers } = await load({ CONSUMERS_PARAMETER: '/Stack/consumers' });
    expect(currentConsumers().size).toBe(0);
    await refreshConsumers();
    await refreshConsumers();
    expect(currentConsumers().get('id-alice')).toEqual({ name: 'alice', budgets: { tokensPerDay: 100 } });
    expect(currentConsumers().get('id-bob')).toEqual({ name: 'bob', budgets: {} });
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
  });

  it('keeps the last map when the parameter cannot be read or is wrong, without failing the request', async () => {
    ssm
      .on(GetParameterCommand)
      .rejectsOnce(new Error('AccessDenied'))
      .resolves({ Parameter: { Value: '[{"apiKeyId":"x"}]' } });
    const { currentConsumers, refreshConsumers } = await load({ CONSUMERS_PARAMETER: '/Stack/consumers', CONSUMERS: MAP });
    await expect(refreshConsumers()).resolves.toBeUndefined(); // access denied
    await expect(refreshConsumers()).resolves.toBeUndefined(); // an entry without a name
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
    expect(currentConsumers().get('id-alice')?.name).toBe('alice');
    expect(currentConsumers().has('x')).toBe(false);
  });

  it('uses CONSUMERS and never calls SSM without a parameter (npm start, tests)', async () => {
    const { currentConsumers, refreshConsumers } = await load({ CONSUMERS: MAP });
    await refreshConsumers();
    expect(currentConsumers().get('id-bob')?.name).toBe('bob');
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(0);
  });
});
