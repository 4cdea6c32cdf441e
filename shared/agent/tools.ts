/**
 * The agent's tool registry: `web_search` (Tavily's search API, through the one fetch wrapper) when a
 * Tavily key is configured, and `current_datetime` always. Tools honour the run's abort signal.
 *
 * A failed search is an error result that says so, and the model is told to answer without it; the
 * failure is logged as one structured line (status and code, never the query or the key).
 */
import { ToolMessage } from '@langchain/core/messages';
import { tool, type StructuredToolInterface } from '@langchain/core/tools';
import { searchForModel } from '#shared/web-search.ts';

/** What the tools need. */
export interface ToolDeps {
  tavilyApiKey: string | undefined;
  tavilyBaseUrl: string;
  /** Time a search may take. */
  timeoutMs: number;
  now?: () => Date;
}

function webSearch(apiKey: string, deps: ToolDeps): StructuredToolInterface {
  const search = { tavilyApiKey: apiKey, tavilyBaseUrl: deps.tavilyBaseUrl, timeoutMs: deps.timeoutMs };
  return tool(
    async ({ query }: { query: string }, config) => {
      const { results, text } = await searchForModel(query, search, config?.signal);
      if (results !== undefined) return text;
      const id = (config as { toolCall?: { id?: string } } | undefined)?.toolCall?.id ?? '';
      return new ToolMessage({ tool_call_id: id, name: 'web_search', status: 'error', content: text });
    },
    {
      name: 'web_search',
      description: 'Search the web for current information. Returns titles, URLs and page excerpts of the top results.',
      schema: { type: 'object', properties: { query: { type: 'string', description: 'The search query' } }, required: ['query'] },
    },
  );
}

// Building an Intl.DateTimeFormat costs more than the rest of a tool call (a tenth of the agent's own time per
// run in `npm run bench`); one per time zone asked for is kept, and a zone that does not exist throws as before.
const FORMATS = new Map<string, Intl.DateTimeFormat>();
const MAX_FORMATS = 64;

function formatIn(zone: string): Intl.DateTimeFormat {
  let format = FORMATS.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone: zone, dateStyle: 'full', timeStyle: 'long' });
    if (FORMATS.size >= MAX_FORMATS) FORMATS.clear();
    FORMATS.set(zone, format);
  }
  return format;
}

function currentDatetime(now: () => Date): StructuredToolInterface {
  return tool(
    async ({ timezone }: { timezone?: string }) => {
      const date = now();
      const zone = timezone ?? 'UTC';
      const local = formatIn(zone).format(date);
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
  if (deps.tavilyApiKey !== undefined) tools.unshift(webSearch(deps.tavilyApiKey, deps));
  return tools;
}
