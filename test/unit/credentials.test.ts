import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCredentialStore, parseSecretValue } from '#shared/credentials.ts';
import { ServiceUnavailableError, UpstreamHttpError } from '#shared/errors.ts';

const sm = mockClient(SecretsManagerClient);
const SECRET = 'ionos/backend';
const config = (secretId?: string) => ({ secretId, envCredentials: {}, secretCacheSeconds: 300 });
// Each store has its own provider (and cache), so values do not carry across tests.
const store = (secretId = SECRET) => createCredentialStore(config(secretId));
const unauthorized = () => new UpstreamHttpError('IONOS AI Model Hub', 401, { message: 'Unauthorized' });

beforeEach(() => sm.reset());
afterEach(() => sm.reset());

describe('parseSecretValue', () => {
  it('reads the JSON format with optional keys', () => {
    expect(parseSecretValue('{"ionosApiToken":"t","studioApiKey":"s","studioOrgId":"o","tavilyApiKey":"v"}')).toEqual({
      ionosApiToken: 't',
      studioApiKey: 's',
      studioOrgId: 'o',
      tavilyApiKey: 'v',
    });
    expect(parseSecretValue('{"ionosApiToken":"t"}')).toEqual({
      ionosApiToken: 't',
      studioApiKey: undefined,
      studioOrgId: undefined,
      tavilyApiKey: undefined,
    });
  });

  it('reads a plain string as the IONOS token', () => {
    expect(parseSecretValue('  plain-token \n')).toEqual({ ionosApiToken: 'plain-token' });
  });

  it.each([
    ['', /empty/],
    ['{"studioApiKey":"s"}', /no "ionosApiToken"/],
    ['{"ionosApiToken":', /does not parse/],
  ])('refuses %j with a 503 that does not echo the value', (value, message) => {
    expect(() => parseSecretValue(value)).toThrow(ServiceUnavailableError);
    expect(() => parseSecretValue(value)).toThrow(message);
  });
});

describe('createCredentialStore with a secret', () => {
  it('reads the secret once and serves later calls from the cache', async () => {
    sm.on(GetSecretValueCommand, { SecretId: SECRET }).resolves({ SecretString: '{"ionosApiToken":"t1"}' });
    const s = store();
    expect((await s.get()).ionosApiToken).toBe('t1');
    expect((await s.get()).ionosApiToken).toBe('t1');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('answers 503 without the SDK message when the secret is missing or access is denied', async () => {
    sm.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: `Secrets Manager can't find ${SECRET}`, $metadata: {} }));
    const err = await store()
      .get()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect((err as Error).message).toContain('could not be read');
    expect((err as Error).message).not.toContain(SECRET);
  });

  it('reads the secret again after an unusable value instead of serving it from the cache', async () => {
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '{"studioApiKey":"s"}' })
      .resolves({ SecretString: '{"ionosApiToken":"fixed"}' });
    const s = store();
    await expect(s.get()).rejects.toThrow(/no "ionosApiToken"/);
    expect((await s.get()).ionosApiToken).toBe('fixed');
    expect((await s.get()).ionosApiToken).toBe('fixed'); // cached again once usable
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('refetches once after an upstream 401 and retries with the rotated token', async () => {
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'old' }).resolves({ SecretString: 'new' });
    const seen: string[] = [];
    const result = await store().withCredentials(async (c) => {
      seen.push(c.ionosApiToken);
      if (c.ionosApiToken === 'old') throw unauthorized();
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(seen).toEqual(['old', 'new']);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('does not retry when the refetched secret is unchanged, and retries at most once', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'same' });
    let calls = 0;
    const err = await store()
      .withCredentials(async () => {
        calls++;
        throw unauthorized();
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamHttpError);
    expect(calls).toBe(1);

    sm.reset();
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'a' }).resolvesOnce({ SecretString: 'b' }).resolves({ SecretString: 'c' });
    calls = 0;
    await store()
      .withCredentials(async () => {
        calls++;
        throw unauthorized();
      })
      .catch(() => undefined);
    expect(calls).toBe(2);
  });

  it('does not refetch for errors other than 401', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 't' });
    await store()
      .withCredentials(async () => {
        throw new UpstreamHttpError('IONOS AI Model Hub', 500, { message: 'x' });
      })
      .catch(() => undefined);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });
});

describe('createCredentialStore from env', () => {
  it('uses env credentials for local runs', async () => {
    const s = createCredentialStore({ secretId: undefined, envCredentials: { ionosApiToken: 'local' }, secretCacheSeconds: 300 });
    expect((await s.get()).ionosApiToken).toBe('local');
  });

  it('answers 503 naming both variables when nothing is configured', async () => {
    await expect(createCredentialStore(config()).get()).rejects.toThrow(/IONOS_SECRET_ID.*IONOS_API_TOKEN/);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});
