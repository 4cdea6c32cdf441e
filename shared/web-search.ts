/**
 * Web search through Tavily's search API (one fetch wrapper, the key from the credentials): the agent's
 * `web_search` tool and the Responses bridge's hosted `web_search` tool both search here, with the same
 * result count, excerpt length and formatting for the model.
 */
import { HttpError, RequestAbortedError } from '#shared/errors.ts';
import { readJsonAnswer, upstreamFetch } from '#shared/http/upstream-fetch.ts';
import { TAVILY_SEARCH_PATH, tavilyUpstream } from '#shared/ionos/upstreams.ts';
import { logger } from '#shared/logger.ts';

/** What a search needs. */
export interface SearchDeps {
  tavilyApiKey: string;
  tavilyBaseUrl: string;
  /** Time a search may take. */
  timeoutMs: number;
}

/** One search result. */
export interface SearchResult {
  title: string;
  url: string;
  content: string;
}

const SEARCH_RESULTS = 8;
const MAX_RESULT_CHARS = 1_500;

/**
 * Searches the web. @throws the fetch wrapper's typed errors (HttpError, RequestAbortedError) on failure.
 */
export async function searchWeb(query: string, deps: SearchDeps, signal?: AbortSignal): Promise<SearchResult[]> {
  const upstream = tavilyUpstream(deps);
  const response = await upstreamFetch(upstream, {
    path: TAVILY_SEARCH_PATH,
    method: 'POST',
    token: deps.tavilyApiKey,
    timeoutMs: deps.timeoutMs,
    signal,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, max_results: SEARCH_RESULTS }),
  });
  const raw = (await readJsonAnswer(upstream, response)) as { results?: Partial<SearchResult>[] } | undefined;
  return (Array.isArray(raw?.results) ? raw.results : []).slice(0, SEARCH_RESULTS).map((r) => ({
    title: typeof r.title === 'string' ? r.title : '(untitled)',
    url: typeof r.url === 'string' ? r.url : '',
    content: (typeof r.content === 'string' ? r.content : '').slice(0, MAX_RESULT_CHARS),
  }));
}

/** Results as numbered entries for the model: title, URL, content. */
export function formatSearchResults(results: SearchResult[]): string {
  if (results.length === 0) return 'No results.';
  return results.map((r, i) => `[${i + 1}] ${r.title}\n${r.url}\n${r.content}`).join('\n\n');
}

/** What a search gives the model: its results as text, or (failed) a text saying so. */
export interface SearchAnswer {
  /** The results; undefined when the search failed. */
  results?: SearchResult[];
  text: string;
}

/**
 * Searches for a model's tool call: a failure is logged as one line (status and code, never the query or
 * the key) and answered as text telling the model to go on without it. @throws RequestAbortedError only
 * (the caller's run was cancelled: there is nothing to tell the model).
 */
export async function searchForModel(query: string, deps: SearchDeps, signal?: AbortSignal): Promise<SearchAnswer> {
  try {
    const results = await searchWeb(query, deps, signal);
    return { results, text: formatSearchResults(results) };
  } catch (err) {
    if (err instanceof RequestAbortedError) throw err;
    const http = err instanceof HttpError ? err : undefined;
    logger.warn('web search failed', { tool: 'web_search', status: http?.status, code: http?.code ?? 'unknown' });
    return { text: searchFailureText(err) };
  }
}

/** Why a search failed, in words for the model (never the upstream's body). */
function searchFailureText(err: unknown): string {
  const reason = err instanceof HttpError ? err.message : 'Tavily could not be reached.';
  return `Web search failed: ${reason} Answer from what you know, and tell the user that web search was unavailable, so the answer may be out of date.`;
}
