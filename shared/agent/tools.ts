/**
 * The agent's tool registry: `web_search` (Tavily, through @langchain/tavily) when a Tavily key is
 * configured, and `current_datetime` always. Tools honour the run's abort signal.
 */
import { tool, type StructuredToolInterface } from '@langchain/core/tools';
import { TavilySearch } from '@langchain/tavily';
import { raceAbort } from '#shared/time.ts';

/** What the tools need. */
export interface ToolDeps {
  tavilyApiKey: string | undefined;
  tavilyBaseUrl: string;
  now?: () => Date;
}

const SEARCH_RESULTS = 8;
const MAX_RESULT_CHARS = 1_500;

interface TavilyResult {
  title?: string;
  url?: string;
  content?: string;
}

/** Formats Tavily results as numbered entries: title, URL, content. */
export function formatSearchResults(raw: unknown): string {
  const results = ((raw as { results?: TavilyResult[] })?.results ?? []).slice(0, SEARCH_RESULTS);
  if (results.length === 0) return 'No results.';
  return results.map((r, i) => `[${i + 1}] ${r.title ?? '(untitled)'}\n${r.url ?? ''}\n${(r.content ?? '').slice(0, MAX_RESULT_CHARS)}`).join('\n\n');
}

function webSearch(apiKey: string, baseUrl: string): StructuredToolInterface {
  const tavily = new TavilySearch({ maxResults: SEARCH_RESULTS, tavilyApiKey: apiKey, apiBaseUrl: baseUrl });
  return tool(
    async ({ query }: { query: string }, config) =>
      // The Tavily client takes no signal; stop waiting for it when the run is cancelled.
      formatSearchResults(await raceAbort(tavily.invoke({ query }), config?.signal)),
    {
      name: 'web_search',
      description: 'Search the web for current information. Returns titles, URLs and page excerpts of the top results.',
      schema: { type: 'object', properties: { query: { type: 'string', description: 'The search query' } }, required: ['query'] },
    },
  );
}

function currentDatetime(now: () => Date): StructuredToolInterface {
  return tool(
    async ({ timezone }: { timezone?: string }) => {
      const date = now();
      const zone = timezone ?? 'UTC';
      const local = new Intl.DateTimeFormat('en-GB', { timeZone: zone, dateStyle: 'full', timeStyle: 'long' }).format(date);
      return `${local} (${zone}); ISO 8601 UTC: ${date.toISOString()}`;
    },
    {
      name: 'current_datetime',
      description: 'The current date and time, optionally in an IANA time zone such as Europe/Berlin.',
      schema: { type: 'object', properties: { timezone: { type: 'string', description: 'IANA time zone, e.g. Europe/Berlin' } } },
    },
  );
}

/** The tools available for one run. */
export function createTools(deps: ToolDeps): StructuredToolInterface[] {
  const tools = [currentDatetime(deps.now ?? (() => new Date()))];
  if (deps.tavilyApiKey !== undefined) tools.unshift(webSearch(deps.tavilyApiKey, deps.tavilyBaseUrl));
  return tools;
}
