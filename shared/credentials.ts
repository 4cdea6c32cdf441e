/**
 * IONOS credentials: loaded from one Secrets Manager secret (Lambda) or env vars (local runs), cached per
 * container, and refetched once when an upstream answers 401 so a rotated token needs no redeploy.
 *
 * Secret format: JSON `{"ionosApiToken","studioApiKey","studioOrgId","tavilyApiKey"}` (only
 * `ionosApiToken` required) or a plain string that is the IONOS token. Values never reach a log or response.
 */
import { ServiceUnavailableError, UpstreamHttpError } from '#shared/errors.ts';
import { createExpiryWatcher } from '#shared/ionos/token-expiry.ts';
import { recordTokenExpiry } from '#shared/metrics.ts';
import { logger } from '#shared/logger.ts';
import { SecretsManagerSource } from '#shared/secrets-source.ts';
import type { RuntimeConfig } from '#shared/config.ts';

/** The credentials the functions use. Only the IONOS token is required. */
export interface Credentials {
  ionosApiToken: string;
  studioApiKey?: string;
  studioOrgId?: string;
  tavilyApiKey?: string;
}

/** Loads credentials, caching them per container. */
export interface CredentialStore {
  /** Current credentials, from cache while fresh. @throws ServiceUnavailableError when none can be had. */
  get(): Promise<Credentials>;
  /**
   * Runs `call` with the current credentials; if it fails with an upstream 401, refetches the secret and,
   * when the values changed, runs it once more.
   */
  withCredentials<T>(call: (credentials: Credentials) => Promise<T>): Promise<T>;
}

type CredentialsConfig = Pick<RuntimeConfig, 'secretId' | 'envCredentials' | 'secretCacheSeconds'>;

/** The part of Powertools' SecretsProvider used here. */
export interface SecretSource {
  get(name: string, options: { maxAge: number; forceFetch: boolean }): Promise<unknown>;
}

/** Every secret value in `credentials`, for redaction. */
export function credentialValues(credentials: Credentials): (string | undefined)[] {
  return [credentials.ionosApiToken, credentials.studioApiKey, credentials.tavilyApiKey];
}

const UNAVAILABLE =
  'IONOS credentials are not available, so this request cannot be served. The operator must check the credentials secret.';

/** Parses the secret's value in either accepted format. @throws ServiceUnavailableError without the value. */
export function parseSecretValue(value: unknown): Credentials {
  const text = value instanceof Uint8Array ? new TextDecoder().decode(value) : value;
  if (typeof text !== 'string' || text.trim() === '') {
    throw new ServiceUnavailableError(`${UNAVAILABLE} (The secret is empty.)`, { code: 'credentials_unavailable' });
  }
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return { ionosApiToken: trimmed };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new ServiceUnavailableError(`${UNAVAILABLE} (The secret looks like JSON but does not parse.)`, {
      code: 'credentials_unavailable',
    });
  }
  const record = parsed as Record<string, unknown>;
  const pick = (key: string) => (typeof record[key] === 'string' && record[key] !== '' ? (record[key] as string) : undefined);
  const ionosApiToken = pick('ionosApiToken');
  if (ionosApiToken === undefined) {
    throw new ServiceUnavailableError(`${UNAVAILABLE} (The secret has no "ionosApiToken" string.)`, { code: 'credentials_unavailable' });
  }
  return { ionosApiToken, studioApiKey: pick('studioApiKey'), studioOrgId: pick('studioOrgId'), tavilyApiKey: pick('tavilyApiKey') };
}

/** Reports the IONOS token's days to expiry: a metric (alarmed on by the stack) and a warning within 14 days. */
function reportTokenExpiry(days: number): void {
  recordTokenExpiry(days);
  if (days < 14) logger.warn('the IONOS token expires soon', { daysToExpiry: Math.round(days * 10) / 10 });
}

/**
 * Creates the store. With `secretId` set, credentials come from Secrets Manager through a Powertools
 * Parameters provider (cached `secretCacheSeconds`); otherwise from the env values in the config.
 */
export function createCredentialStore(config: CredentialsConfig, provider?: SecretSource): CredentialStore {
  const { secretId } = config;
  const secrets = provider ?? new SecretsManagerSource();
  // The provider caches what it fetched, usable or not; after an unusable value the secret is read again on
  // the next call, so an operator's fix works at once instead of after the cache time.
  let unusable = false;
  const watchExpiry = createExpiryWatcher(reportTokenExpiry);

  async function load(forceFetch: boolean): Promise<Credentials> {
    if (secretId === undefined) return fromEnv(config.envCredentials);
    try {
      const credentials = await read(secretId, forceFetch || unusable);
      unusable = false;
      watchExpiry(credentials.ionosApiToken);
      return credentials;
    } catch (err) {
      unusable = true;
      throw err;
    }
  }

  async function read(secretId: string, forceFetch: boolean): Promise<Credentials> {
    let value: unknown;
    try {
      value = await secrets.get(secretId, { maxAge: config.secretCacheSeconds, forceFetch });
    } catch (cause) {
      // The SDK's message may name the secret or the role; keep it in `cause` for the logs only.
      throw new ServiceUnavailableError(`${UNAVAILABLE} (The secret could not be read.)`, { code: 'credentials_unavailable', cause });
    }
    if (value === undefined) {
      throw new ServiceUnavailableError(`${UNAVAILABLE} (The secret has no value yet.)`, { code: 'credentials_unavailable' });
    }
    return parseSecretValue(value);
  }

  return {
    get: () => load(false),
    async withCredentials(call) {
      const first = await load(false);
      try {
        return await call(first);
      } catch (err) {
        if (!(err instanceof UpstreamHttpError && err.upstreamStatus === 401) || secretId === undefined) throw err;
        const fresh = await load(true);
        if (JSON.stringify(fresh) === JSON.stringify(first)) throw err;
        return call(fresh);
      }
    },
  };
}

function fromEnv(env: CredentialsConfig['envCredentials']): Credentials {
  if (env.ionosApiToken === undefined) {
    throw new ServiceUnavailableError(
      'IONOS credentials are not configured: set IONOS_SECRET_ID (Secrets Manager) or IONOS_API_TOKEN (local runs).',
      { code: 'credentials_unavailable' },
    );
  }
  return { ...env, ionosApiToken: env.ionosApiToken };
}
