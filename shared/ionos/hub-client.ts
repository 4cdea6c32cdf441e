/**
 * Client for the Hub's OpenAI-compatible API: the fetch wrapper plus credentials (the IONOS token is set
 * here, server-side, and refetched once on a 401).
 */
import { credentialValues, type CredentialStore } from '#shared/credentials.ts';
import type { RuntimeConfig } from '#shared/config.ts';
import { readJsonAnswer, toUpstreamHttpError, upstreamFetch, type RetryPolicy } from '#shared/http/upstream-fetch.ts';
import { HUB_PATHS, hubUpstream } from '#shared/ionos/upstreams.ts';

/** Options of one Hub call. */
export interface HubCallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
  retry?: RetryPolicy;
  passErrors?: boolean;
  /** Time allowed (see `UpstreamRequest.timeoutMs`); `UPSTREAM_TIMEOUT_MS` when omitted. */
  timeoutMs?: number;
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
   * Raw call to a Hub path; the Response body is left to the caller (streams pass through). With
   * `passErrors`, error responses come back with their status and headers and an OpenAI-envelope body.
   */
  fetch(path: string, options?: HubCallOptions): Promise<Response>;
  /** `GET /v1/models`. */
  listModels(signal?: AbortSignal): Promise<HubModel[]>;
}

/** Creates a Hub client over the given configuration and credentials. */
export function createHubClient(config: Pick<RuntimeConfig, 'hubBaseUrl' | 'upstreamTimeoutMs'>, credentials: CredentialStore): HubClient {
  const upstream = hubUpstream(config);
  const call = (path: string, options: HubCallOptions = {}) =>
    credentials.withCredentials(async (c) => {
      const secrets = credentialValues(c);
      const response = await upstreamFetch(upstream, { ...options, path, token: c.ionosApiToken, redact: secrets, timeoutMs: options.timeoutMs ?? config.upstreamTimeoutMs });
      // A 401 is never relayed, even with passErrors: it means our token is stale (refetch) or wrong (502).
      if (response.status === 401) throw await toUpstreamHttpError(upstream, response, secrets);
      if (response.ok) return response;
      // Relayed errors are rewritten here, where the token is known: the OpenAI envelope, secrets redacted.
      const { detail } = await toUpstreamHttpError(upstream, response, secrets);
      const headers = new Headers(response.headers);
      headers.set('content-type', 'application/json');
      headers.delete('content-length');
      headers.delete('content-encoding');
      const error = { message: detail.message, type: detail.type ?? null, code: detail.code ?? null, param: detail.param ?? null };
      return new Response(JSON.stringify({ error }), { status: response.status, headers });
    });
  return {
    fetch: call,
    async listModels(signal) {
      const response = await call(HUB_PATHS.models, { signal, retry: { attempts: 3 } });
      const body = (await readJsonAnswer(upstream, response)) as { data?: HubModel[] } | null;
      return Array.isArray(body?.data) ? body.data : [];
    },
  };
}
