/**
 * The Responses API's tools as Hub chat function tools, and the names that map a chat tool call back to the
 * item the client expects:
 *
 * - `function`: offered as it is.
 * - `namespace` (a named group of function tools): each member offered as `<namespace>__<name>`; a call
 *   comes back as a `function_call` with the member's own `name` and its `namespace`.
 * - `custom` (free-form text input): offered as a function with one string parameter `input`; a grammar the
 *   Hub cannot enforce is described to the model in the description. A call comes back as `custom_tool_call`.
 * - `web_search` / `web_search_preview`: served by this API when it has a search key (the agent's Tavily):
 *   offered as a function the bridge runs itself (see bridge.ts). Without a key, one with
 *   `external_web_access: false` asks for nothing live and is left out (named as ignored); one that needs
 *   live access is refused.
 * - Every other hosted tool is refused with a 400 naming it.
 *
 * Chat function names allow `[A-Za-z0-9_-]` up to 64 characters; a name that would collide or break that
 * gets a numbered suffix, so every offered name is unique and the mapping is the same for the same tools.
 */
import { bad, invalid, isObject } from '#shared/responses/checks.ts';

type Json = Record<string, unknown>;

/** What a chat tool call is, in the client's terms. */
export type ToolOrigin =
  | { kind: 'function'; name: string; namespace?: string }
  | { kind: 'custom'; name: string; namespace?: string }
  | { kind: 'web_search'; type: string };

/** The client's tools as the Hub sees them. */
export interface TranslatedTools {
  /** Chat tools for the Hub (undefined when there are none). */
  chat: Json[] | undefined;
  /** Chat function name → what the client offered. */
  origins: Map<string, ToolOrigin>;
  /** The chat name of a client function or custom tool, by namespace and name (for calls sent back as input). */
  chatName(name: string, namespace?: string): string;
  /** The chat name of the hosted web search, when this API serves it. */
  webSearch: string | undefined;
  /** The tools as the response echoes them (function tools in the full form the specification requires). */
  echo: unknown[];
  /** Tools left out because they ask for nothing this API has to provide (named in `x-ignored-parameters`). */
  ignored: string[];
}

const HOSTED_SEARCH = new Set(['web_search', 'web_search_preview', 'web_search_2025_08_26', 'web_search_preview_2025_03_11']);
const CHAT_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const CUSTOM_INPUT = 'input';
const SEARCH_DESCRIPTION =
  'Search the web for current information. Returns titles, URLs and page excerpts of the top results. Use it when the answer depends on recent or external facts.';

/** A collision-free chat name for `wanted`. */
function uniqueName(wanted: string, taken: Map<string, unknown>): string {
  const base = wanted.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60) || 'tool';
  if (!taken.has(base) && CHAT_NAME.test(base)) return base;
  for (let n = 1; ; n++) if (!taken.has(`${base}_${n}`)) return `${base}_${n}`;
}

const memberKey = (name: string, namespace?: string) => (namespace === undefined ? name : `${namespace}__${name}`);

function functionTool(tool: Json, param: string): { name: string; description?: unknown; parameters?: unknown; strict?: unknown } {
  if (typeof tool.name !== 'string' || tool.name === '') throw invalid(`${param}.name`, `${param} needs a "name".`);
  return { name: tool.name, description: tool.description, parameters: tool.parameters, strict: tool.strict };
}

/** The function tool as the response echoes it: every field the specification requires. */
const echoedFunction = (tool: ReturnType<typeof functionTool>) => ({
  type: 'function',
  name: tool.name,
  description: typeof tool.description === 'string' ? tool.description : null,
  parameters: isObject(tool.parameters) ? tool.parameters : null,
  strict: typeof tool.strict === 'boolean' ? tool.strict : null,
});

function customDescription(tool: Json): string {
  const text = typeof tool.description === 'string' ? tool.description : '';
  const format = isObject(tool.format) ? tool.format : undefined;
  if (format === undefined || format.type !== 'grammar') return text;
  // The Hub cannot constrain output by a grammar: the model is told the grammar and asked to follow it.
  const syntax = typeof format.syntax === 'string' ? format.syntax : 'grammar';
  const definition = typeof format.definition === 'string' ? format.definition : '';
  return `${text}\n\nThe "${CUSTOM_INPUT}" must follow this ${syntax} grammar exactly:\n${definition}`.trim();
}

/**
 * Translates `tools`. `searchAvailable`: this deployment has a search key.
 * @throws BadRequestError naming a tool that cannot be served or is malformed.
 */
export function toChatTools(tools: unknown, searchAvailable: boolean): TranslatedTools {
  const origins = new Map<string, ToolOrigin>();
  const byMember = new Map<string, string>();
  const chat: Json[] = [];
  const echo: unknown[] = [];
  const ignored: string[] = [];
  let webSearch: string | undefined;
  const offer = (wanted: string, origin: ToolOrigin, fn: Json): string => {
    const name = uniqueName(wanted, origins);
    origins.set(name, origin);
    chat.push({ type: 'function', function: { name, ...fn } });
    return name;
  };
  const addFunction = (tool: Json, param: string, namespace?: string) => {
    const fn = functionTool(tool, param);
    const key = memberKey(fn.name, namespace);
    const name = offer(
      key,
      { kind: 'function', name: fn.name, ...(namespace === undefined ? {} : { namespace }) },
      {
        description: fn.description,
        parameters: fn.parameters,
        ...(typeof fn.strict === 'boolean' ? { strict: fn.strict } : {}),
      },
    );
    byMember.set(key, name);
    return fn;
  };
  const addCustom = (tool: Json, param: string, namespace?: string) => {
    if (typeof tool.name !== 'string' || tool.name === '') throw invalid(`${param}.name`, `${param} needs a "name".`);
    const key = memberKey(tool.name, namespace);
    const name = offer(
      key,
      { kind: 'custom', name: tool.name, ...(namespace === undefined ? {} : { namespace }) },
      {
        description: customDescription(tool),
        parameters: {
          type: 'object',
          properties: { [CUSTOM_INPUT]: { type: 'string', description: 'The tool input, as free-form text.' } },
          required: [CUSTOM_INPUT],
          additionalProperties: false,
        },
      },
    );
    byMember.set(key, name);
  };

  if (tools !== undefined && tools !== null) {
    if (!Array.isArray(tools)) throw invalid('tools', '"tools" must be a list.');
    for (const [i, tool] of tools.entries()) {
      const param = `tools[${i}]`;
      if (!isObject(tool)) throw invalid(param, `${param} must be an object.`);
      const type = typeof tool.type === 'string' ? tool.type : '';
      if (type === 'function') echo.push(echoedFunction(addFunction(tool, param)));
      else if (type === 'custom') {
        addCustom(tool, param);
        echo.push(tool);
      } else if (type === 'namespace') {
        if (typeof tool.name !== 'string' || !CHAT_NAME.test(tool.name))
          throw invalid(`${param}.name`, `${param}: a namespace needs a "name" of letters, digits, "_" or "-".`);
        if (!Array.isArray(tool.tools)) throw invalid(`${param}.tools`, `${param}: a namespace needs "tools" (a list).`);
        for (const [j, member] of tool.tools.entries()) {
          const where = `${param}.tools[${j}]`;
          if (isObject(member) && member.type === 'function') addFunction(member, where, tool.name);
          else if (isObject(member) && member.type === 'custom') addCustom(member, where, tool.name);
          else throw bad(`${where}.type`, `${where}: a namespace may hold function and custom tools here.`);
        }
        echo.push(tool);
      } else if (HOSTED_SEARCH.has(type)) {
        if (searchAvailable) {
          webSearch ??= offer(
            'web_search',
            { kind: 'web_search', type },
            {
              description: SEARCH_DESCRIPTION,
              parameters: {
                type: 'object',
                properties: { query: { type: 'string', description: 'The search query' } },
                required: ['query'],
                additionalProperties: false,
              },
            },
          );
          echo.push(tool);
        } else if (tool.external_web_access === false) {
          ignored.push(`${param}.${type}`);
        } else {
          throw bad(
            `${param}.type`,
            `${param}: this deployment has no web search configured, so "${type}" cannot be served (a tool with "external_web_access": false is left out instead).`,
          );
        }
      } else {
        throw bad(
          `${param}.type`,
          `${param}: ${JSON.stringify(type).slice(0, 60)} tools are not supported by the Hub; function, custom, namespace and web_search tools are.`,
        );
      }
    }
  }
  return {
    chat: chat.length === 0 ? undefined : chat,
    origins,
    chatName: (name, namespace) => byMember.get(memberKey(name, namespace)) ?? uniqueName(memberKey(name, namespace), new Map()),
    webSearch,
    echo,
    ignored,
  };
}

/** `tool_choice` in the chat form. */
export function toToolChoice(choice: unknown, tools: TranslatedTools): unknown {
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (isObject(choice) && (choice.type === 'function' || choice.type === 'custom') && typeof choice.name === 'string')
    return {
      type: 'function',
      function: { name: tools.chatName(choice.name, typeof choice.namespace === 'string' ? choice.namespace : undefined) },
    };
  if (isObject(choice) && typeof choice.type === 'string' && HOSTED_SEARCH.has(choice.type) && tools.webSearch !== undefined)
    return { type: 'function', function: { name: tools.webSearch } };
  throw bad('tool_choice', '"tool_choice" must be auto, none, required, or a function, custom or web_search tool offered in "tools" here.');
}

/** The `input` of a custom tool call from the chat arguments (the one string parameter). */
export function customInput(args: string): string {
  try {
    const parsed = JSON.parse(args) as unknown;
    if (isObject(parsed) && typeof parsed[CUSTOM_INPUT] === 'string') return parsed[CUSTOM_INPUT];
  } catch {
    // A model that answered the text itself instead of the JSON object: that text is the input.
  }
  return args;
}

/** The chat arguments of a custom tool call sent back as input. */
export const customArguments = (input: string) => JSON.stringify({ [CUSTOM_INPUT]: input });

/** The query of a hosted search call from its chat arguments ('' when the model gave none). */
export function searchQuery(args: string): string {
  try {
    const parsed = JSON.parse(args) as unknown;
    if (isObject(parsed) && typeof parsed.query === 'string') return parsed.query.trim();
  } catch {
    // Not JSON: no query; the search is answered as failed.
  }
  return '';
}
