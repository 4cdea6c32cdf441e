/**
 * The Responses API request (`POST /v1/responses`) as a Hub chat completion request. What the Hub can serve
 * is translated (input items to messages, function tools, `text.format` to `response_format`,
 * `max_output_tokens` to `max_tokens`); what it cannot (built-in tools, background runs, reasoning items)
 * is refused with a 400 naming the parameter, never dropped silently. A continued conversation
 * (`previous_response_id`) comes in as the stored history, put between the instructions and the input.
 */
import { BadRequestError } from '#shared/errors.ts';
import { bad, invalid, isObject, toMessages, type ChatMessage } from '#shared/responses/input.ts';

type Json = Record<string, unknown>;

/** What the response object echoes of the request. */
export interface ResponsesRequestEcho {
  model: string;
  instructions: string | null;
  max_output_tokens: number | null;
  parallel_tool_calls: boolean;
  temperature: number | null;
  top_p: number | null;
  tool_choice: unknown;
  tools: unknown[];
  text: { format: unknown };
  metadata: Record<string, string>;
  user: string | null;
  store: boolean;
  previous_response_id: string | null;
}

/** The translation: the chat body for the Hub, and what the answer echoes. */
export interface TranslatedRequest {
  chat: Json;
  stream: boolean;
  echo: ResponsesRequestEcho;
  /** The conversation so far without the instructions (the history, then this input): what a stored response keeps. */
  conversation: ChatMessage[];
}

// Parameters the Hub cannot serve: refused, so a client never gets an answer that silently ignored them.
const REFUSED: Record<string, string> = {
  background: 'Background responses are not supported: the Hub answers while the request is open.',
  conversation: 'Conversations are not supported: send the whole conversation in "input".',
  prompt: 'Stored prompt templates are not supported: send "instructions" and "input".',
  include: 'Extra output ("include") is not supported: the Hub returns no reasoning, search results or logprobs here.',
};
// Accepted and passed on unchanged, or known to change nothing on the Hub's side.
const KNOWN = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'max_output_tokens',
  'temperature',
  'top_p',
  'text',
  'metadata',
  'user',
  'stream',
  'store',
  'previous_response_id',
  'reasoning',
  'truncation',
  'service_tier',
  'stream_options',
  'prompt_cache_key',
  'safety_identifier',
]);

/** Function tools as chat tools; any other tool type is refused. */
function toTools(tools: unknown): Json[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw invalid('tools', '"tools" must be a list.');
  return tools.map((tool, i) => {
    const param = `tools[${i}]`;
    if (!isObject(tool) || tool.type !== 'function') {
      const type = isObject(tool) ? JSON.stringify(tool.type).slice(0, 60) : 'that';
      throw bad(`${param}.type`, `${param}: ${type} tools are not supported by the Hub; only "function" tools are.`);
    }
    if (typeof tool.name !== 'string' || tool.name === '') throw invalid(`${param}.name`, `${param} needs a "name".`);
    const { name, description, parameters, strict } = tool;
    return { type: 'function', function: { name, description, parameters, ...(typeof strict === 'boolean' ? { strict } : {}) } };
  });
}

/** `tool_choice` in the chat form. */
function toToolChoice(choice: unknown): unknown {
  if (choice === undefined || choice === null || choice === 'auto' || choice === 'none' || choice === 'required')
    return choice ?? undefined;
  if (isObject(choice) && choice.type === 'function' && typeof choice.name === 'string')
    return { type: 'function', function: { name: choice.name } };
  throw bad('tool_choice', '"tool_choice" must be auto, none, required or {"type":"function","name":"…"} here.');
}

/** `text.format` as `response_format`. */
function toResponseFormat(text: unknown): Json | undefined {
  if (text === undefined || text === null) return undefined;
  if (!isObject(text)) throw invalid('text', '"text" must be an object.');
  const format = text.format;
  if (format === undefined || format === null) return undefined;
  if (!isObject(format)) throw invalid('text.format', '"text.format" must be an object.');
  if (format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  if (format.type === 'json_schema') {
    if (typeof format.name !== 'string' || !isObject(format.schema)) {
      throw invalid('text.format', '"text.format" of type json_schema needs "name" and "schema".');
    }
    const { name, schema, strict, description } = format;
    return {
      type: 'json_schema',
      json_schema: { name, schema, ...(typeof strict === 'boolean' ? { strict } : {}), ...(description ? { description } : {}) },
    };
  }
  throw invalid('text.format.type', '"text.format.type" must be text, json_object or json_schema.');
}

const numberOrNull = (body: Json, key: string): number | null => {
  const v = body[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(key, `"${key}" must be a number.`);
  return v;
};

/** The form of the response ids this API gives (see `newId`). */
export const RESPONSE_ID = /^resp_[0-9a-f]{48}$/;

/** `previous_response_id`, checked. @throws BadRequestError when it is not a response id. */
export function previousResponseId(body: Json): string | null {
  const id = body.previous_response_id;
  if (id === undefined || id === null) return null;
  if (typeof id !== 'string' || !RESPONSE_ID.test(id)) {
    throw invalid('previous_response_id', '"previous_response_id" must be the id of a response this API gave ("resp_…").');
  }
  return id;
}

/**
 * Translates a Responses request.
 * @throws BadRequestError naming the parameter that is wrong or cannot be served.
 */
export function toChatRequest(body: Json, history: ChatMessage[] = []): TranslatedRequest {
  for (const [key, message] of Object.entries(REFUSED)) {
    if (body[key] !== undefined && body[key] !== null) throw bad(key, message);
  }
  for (const key of Object.keys(body))
    if (!KNOWN.has(key)) throw bad(key, `"${key.slice(0, 60)}" is not a parameter this API supports on /v1/responses.`);
  if (isObject(body.reasoning) && (body.reasoning.effort != null || body.reasoning.summary != null)) {
    throw bad('reasoning', "Reasoning settings are not supported: the Hub's chat completions take no reasoning effort or summary.");
  }
  if (typeof body.model !== 'string' || body.model.trim() === '') {
    throw new BadRequestError('"model" is required: name a model from GET /v1/models.', { param: 'model', code: 'missing_model' });
  }
  for (const flag of ['stream', 'store'] as const)
    if (body[flag] !== undefined && body[flag] !== null && typeof body[flag] !== 'boolean')
      throw invalid(flag, `"${flag}" must be a boolean.`);
  if (body.metadata !== undefined && body.metadata !== null && !isObject(body.metadata))
    throw invalid('metadata', '"metadata" must be an object.');
  const stream = body.stream === true;
  const maxOutput = numberOrNull(body, 'max_output_tokens');
  const tools = toTools(body.tools);
  // Always a leading system message (empty without instructions, then dropped), so history goes after it.
  const [system, ...input] = toMessages(body.input, body.instructions ?? '');
  const conversation = [...history, ...input];
  const chat: Json = {
    model: body.model,
    messages: system?.content === '' ? conversation : [system, ...conversation],
    ...(tools === undefined ? {} : { tools }),
    ...(toToolChoice(body.tool_choice) === undefined ? {} : { tool_choice: toToolChoice(body.tool_choice) }),
    ...(typeof body.parallel_tool_calls === 'boolean' && tools !== undefined ? { parallel_tool_calls: body.parallel_tool_calls } : {}),
    ...(maxOutput === null ? {} : { max_tokens: maxOutput }),
    ...(numberOrNull(body, 'temperature') === null ? {} : { temperature: body.temperature }),
    ...(numberOrNull(body, 'top_p') === null ? {} : { top_p: body.top_p }),
    ...(toResponseFormat(body.text) === undefined ? {} : { response_format: toResponseFormat(body.text) }),
    ...(typeof body.user === 'string' ? { user: body.user } : {}),
    // Usage is part of every response (and of response.completed in a stream).
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
  const format = isObject(body.text) && isObject(body.text.format) ? body.text.format : { type: 'text' };
  return {
    chat,
    stream,
    echo: {
      model: body.model,
      instructions: typeof body.instructions === 'string' ? body.instructions : null,
      max_output_tokens: maxOutput,
      parallel_tool_calls: body.parallel_tool_calls !== false,
      temperature: numberOrNull(body, 'temperature'),
      top_p: numberOrNull(body, 'top_p'),
      tool_choice: body.tool_choice ?? 'auto',
      tools: Array.isArray(body.tools) ? body.tools : [],
      text: { format },
      metadata: isObject(body.metadata) ? (body.metadata as Record<string, string>) : {},
      user: typeof body.user === 'string' ? body.user : null,
      store: body.store !== false,
      previous_response_id: previousResponseId(body),
    },
    conversation,
  };
}
