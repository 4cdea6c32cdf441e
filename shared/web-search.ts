/**
 * Web search through Tavily's search API (one fetch wrapper, the key from the credentials): the agent's
 * `web_search` tool and the Responses bridge's hosted `web_search` tool both search here, with the same
 * result count, excerpt length and formatting for the model.
 */
import { HttpError } from '#shared/errors.ts';
import { readJsonAnswer, upstreamFetch } from '#shared/http/upstream-fetch.ts';
import { TAVILY_SEARCH_PATH, tavilyUpstream } from '#shared/ionos/upstreams.ts';

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

/** Why a search failed, in words for the model (never the upstream's body). */
export function searchFailureText(err: unknown): string {
  const reason = err instanceof HttpError ? err.message : 'Tavily could not be reached.';
  return `Web search failed: ${reason} Answer from what you know, and tell the user that web search was unavailable, so the answer may be out of date.`;
}
