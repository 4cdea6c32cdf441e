/**
 * The IONOS upstreams as small config objects. Paths are listed here so a newcomer finds every upstream
 * URL in one place.
 */
import type { Upstream } from '#shared/http/upstream-fetch.ts';
import type { RuntimeConfig } from '#shared/config.ts';
import { normaliseUpstreamError } from '#shared/ionos/error-body.ts';

/** How errors name the Hub. */
export const HUB_NAME = 'IONOS AI Model Hub';

/** The Hub as messages name it, where only its name is needed (parsing or cutting its answers). */
export const HUB: Pick<Upstream, 'name'> = { name: HUB_NAME };

/** The AI Model Hub's OpenAI-compatible API. */
export function hubUpstream(config: Pick<RuntimeConfig, 'hubBaseUrl'>): Upstream {
  return { name: HUB_NAME, baseUrl: config.hubBaseUrl, readError: normaliseUpstreamError };
}

/** The OpenAI-compatible paths the Hub serves (and the only ones the proxy forwards). */
export const HUB_PATHS = {
  models: '/v1/models',
  chatCompletions: '/v1/chat/completions',
  completions: '/v1/completions',
  embeddings: '/v1/embeddings',
  imageGenerations: '/v1/images/generations',
  rerank: '/v1/rerank',
  imageEdits: '/v1/images/edits',
} as const;

/** The Hub paths that generate images: they draw on the contract's image limit and count images. */
export const IMAGE_PATHS: ReadonlySet<string> = new Set([HUB_PATHS.imageGenerations, HUB_PATHS.imageEdits]);

/** Tavily's search API, behind the agent's `web_search` tool (not an IONOS service, but called the same way). */
export function tavilyUpstream(config: Pick<RuntimeConfig, 'tavilyBaseUrl'>): Upstream {
  return { name: 'Tavily', baseUrl: config.tavilyBaseUrl, readError: normaliseUpstreamError };
}

/** Tavily's search path. */
export const TAVILY_SEARCH_PATH = '/search';

/** AI Model Studio's job API (fine-tuned models). */
export function studioUpstream(config: Pick<RuntimeConfig, 'studioBaseUrl'>): Upstream {
  return { name: 'IONOS AI Model Studio', baseUrl: config.studioBaseUrl, readError: normaliseUpstreamError };
}

/** Studio job paths, relative to the Studio base URL. */
export const STUDIO_PATHS = {
  createJob: (orgId: string) => `/organizations/${encodeURIComponent(orgId)}/generate`,
  job: (orgId: string, jobId: string) => `/organizations/${encodeURIComponent(orgId)}/generate/${encodeURIComponent(jobId)}`,
} as const;
