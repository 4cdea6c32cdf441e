// The shared Hub and Studio clients against the simulator over loopback: real HTTP, real timeouts.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { STUDIO_MODELS } from '#infra/offline/ionos-simulator/catalogue.ts';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { createCredentialStore } from '#shared/credentials.ts';
import { BadGatewayError, GatewayTimeoutError, UpstreamHttpError } from '#shared/errors.ts';
import { createHubClient } from '#shared/ionos/hub-client.ts';
import { createStudioClient } from '#shared/ionos/studio-client.ts';
import { SENTINELS, startTestSimulator } from '#test/helpers/sentinels.ts';

let sim: Simulator;
const envStore = () =>
  createCredentialStore({
    secretId: undefined,
    envCredentials: { ionosApiToken: SENTINELS.ionosApiToken, studioApiKey: sim.studioApiKey, studioOrgId: sim.studioOrgId },
    secretCacheSeconds: 300,
  });
const hub = (timeoutMs = 2_000) => createHubClient({ hubBaseUrl: sim.hubBaseUrl, upstreamTimeoutMs: timeoutMs }, envStore());
const chatBody = JSON.stringify({ model: 'openai/gpt-oss-120b', messages: [{ role: 'user', content: 'Hi' }] });
const postChat = (timeoutMs?: number) =>
  hub(timeoutMs).fetch('/v1/chat/completions', { method: 'POST', body: chatBody, headers: { 'content-type': 'application/json' } });

beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.control.reset();
  sim.hubTokens.clear();
  sim.hubTokens.add(SENTINELS.ionosApiToken);
});

describe('Hub client against the simulator', () => {
  it('lists models', async () => {
    const models = JSON.parse(await (await hub().fetch('/v1/models')).text()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toContain('mistralai/Mistral-Small-24B-Instruct');
  });

  it('turns an IONOS native error into a typed error with its message', async () => {
    sim.control.faults.push({ status: 400, errorMessage: 'max_tokens must be positive' });
    const err = await postChat().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamHttpError);
    expect((err as Error).message).toBe('IONOS AI Model Hub rejected the request: max_tokens must be positive');
  });

  it('maps a reset connection to 502 and a stalled upstream to 504', async () => {
    sim.control.faults.push({ reset: true });
    await expect(postChat()).rejects.toBeInstanceOf(BadGatewayError);
    sim.control.faults.push({ latencyMs: 500 });
    await expect(postChat(100)).rejects.toBeInstanceOf(GatewayTimeoutError);
  });

  it('retries a call that asks for it after a 429 with Retry-After (the wait itself is proved with fake timers in the unit test)', async () => {
    sim.control.faults.push({ path: '/v1/models', status: 429, retryAfter: 1 });
    expect((await hub().fetch('/v1/models', { retry: { attempts: 3 } })).status).toBe(200);
    expect(sim.control.requests.filter((r) => r.path === '/v1/models')).toHaveLength(2);
  });

  it('follows a token rotation in the secret after an upstream 401, without a restart', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify({ ionosApiToken: SENTINELS.ionosApiToken }) })
      .resolves({ SecretString: '{"ionosApiToken":"rotated-token"}' });
    const store = createCredentialStore({ secretId: 'ionos', envCredentials: {}, secretCacheSeconds: 300 });
    const client = createHubClient({ hubBaseUrl: sim.hubBaseUrl, upstreamTimeoutMs: 2_000 }, store);
    expect((await client.fetch('/v1/models')).status).toBe(200);
    sim.hubTokens.clear();
    sim.hubTokens.add('rotated-token');
    expect((await client.fetch('/v1/models')).status).toBe(200);
    expect(sim.control.requests.map((r) => r.headers.authorization)).toEqual([
      `Bearer ${SENTINELS.ionosApiToken}`,
      `Bearer ${SENTINELS.ionosApiToken}`,
      'Bearer rotated-token',
    ]);
    sm.restore();
  });

  it('answers 502 when the token stays rejected', async () => {
    sim.hubTokens.clear();
    const err = await hub()
      .fetch('/v1/models')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, code: 'upstream_auth_failed' });
  });
});

describe('Studio client against the simulator', () => {
  const studio = () =>
    createStudioClient({ studioBaseUrl: sim.studioBaseUrl, upstreamTimeoutMs: 2_000 }, envStore(), { initialMs: 5, factor: 2, maxMs: 20 });
  const model = STUDIO_MODELS['granite-gdpr-demo'] as string;

  it('runs a job to completion', async () => {
    const result = await studio().generate({ modelId: model, messages: [{ role: 'user', content: 'Guten Tag' }], deadlineMs: 5_000 });
    expect(result.text).toContain('Guten Tag');
  });

  it('reports a failed job and a job that outlives the deadline', async () => {
    sim.control.studioJobs.push({ fail: 'adapter missing' }, { hang: true });
    await expect(studio().generate({ modelId: model, messages: [{ role: 'user', content: 'x' }], deadlineMs: 5_000 })).rejects.toThrow(
      /could not complete the job \(it ended as FAILED\)/,
    );
    await expect(studio().generate({ modelId: model, messages: [{ role: 'user', content: 'x' }], deadlineMs: 200 })).rejects.toBeInstanceOf(
      GatewayTimeoutError,
    );
  });

  it('relays an unknown model as a 404 the client can fix', async () => {
    await expect(
      studio().generate({ modelId: '00000000-0000-4000-8000-000000000000', messages: [{ role: 'user', content: 'x' }], deadlineMs: 5_000 }),
    ).rejects.toMatchObject({ status: 404 });
  });
});
