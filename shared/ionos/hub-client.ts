/**
 * The one client of the Hub's OpenAI-compatible API, for the proxy and the agent's model alike: the fetch
 * wrapper plus credentials. The IONOS token is read and set here, server-side, every credential is
 * redacted from error messages here, and a 401 refetches the secret and retries this one call (never a
 * whole agent run, whose tools would run again).
 *
 * Every attempt first awaits the call's `slot` (the pipeline's admission to the IONOS contract, see
 * `pipeline/hub-request.ts`), so a retry takes a slot of its own.
 *
 * Error answers become UpstreamHttpError (the upstream's reading of it: status, normalised message,
 * `Retry-After`, headers); what a caller makes of them (relay or answer as ours) is the caller's policy.
 */
import { credentialValues, type CredentialStore } from '#shared/credentials.ts';
import type { RuntimeConfig } from '#shared/config.ts';
import { upstreamFetch, type RetryPolicy } from '#shared/http/upstream-fetch.ts';
import type { UpstreamAnswer } from '#shared/http/upstream-answer.ts';
import { hubUpstream } from '#shared/ionos/upstreams.ts';

/** Options of one Hub call. */
export interface HubCallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
  retry?: RetryPolicy;
  /** Time allowed (see `UpstreamRequest.timeoutMs`); `UPSTREAM_TIMEOUT_MS` when omitted. */
  timeoutMs?: number;
  /** Awaited before each attempt (the IONOS contract's slot); what it throws ends the call, unretried. */
  slot?: () => Promise<void>;
}

/** One model of `GET /v1/models`. */
export interface HubModel {
  id: string;
  object: string;
  created: number;
  owned_by: string;
}

/** The Hub client. */
export interface HubClient {
  /**
   * One call to a Hub path; the 2xx answer's body is left to the caller (streams pass through).
   * @throws UpstreamHttpError for an error answer, and the fetch wrapper's typed errors.
   */
  fetch(path: string, options?: HubCallOptions): Promise<UpstreamAnswer>;
}

/** Creates a Hub client over the given configuration and credentials. */
export function createHubClient(config: Pick<RuntimeConfig, 'hubBaseUrl' | 'upstreamTimeoutMs'>, credentials: CredentialStore): HubClient {
  const upstream = hubUpstream(config);
  const call = (path: string, { slot, ...options }: HubCallOptions = {}) =>
    credentials.withCredentials((c) =>
      upstreamFetch(upstream, {
        ...options,
        beforeAttempt: slot,
        path,
        token: c.ionosApiToken,
        redact: credentialValues(c),
        timeoutMs: options.timeoutMs ?? config.upstreamTimeoutMs,
      }),
    );
  return { fetch: call };
}
