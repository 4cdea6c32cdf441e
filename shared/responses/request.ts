/**
 * The Responses API request (`POST /v1/responses`) as a Hub chat completion request. What the Hub can serve
 * is translated (input items to messages, tools (see tools.ts), `text.format` to `response_format`,
 * `max_output_tokens` to `max_tokens`, `reasoning.effort` to `reasoning_effort`); what would change the
 * answer and cannot be served is refused with a 400 naming the parameter; what asks for nothing is
 * accepted; an unknown parameter is ignored and named (see the policy below). A continued conversation
 * (`previous_response_id`) comes in as the stored history, put between the instructions and the input.
 */
import { BadRequestError } from '#shared/errors.ts';
import { bad, invalid, isObject } from '#shared/responses/checks.ts';
import { toMessages, type ChatMessage } from '#shared/responses/input.ts';
import { toChatTools, toToolChoice, type TranslatedTools } from '#shared/responses/tools.ts';

type Json = Record<string, unknown>;

/** What the response object echoes of the request (every field the specification requires of a response). */
export interface ResponsesRequestEcho {
  model: string;
  instructions: string | null;
  max_output_tokens: number | null;
  max_tool_calls: number | null;
  parallel_tool_calls: boolean;
  temperature: number;
  top_p: number;
  presence_penalty: number;
  frequency_penalty: number;
  top_logprobs: number;
  tool_choice: unknown;
  tools: unknown[];
  text: Json;
  reasoning: { effort: string | null; summary: string | null };
  truncation: 'disabled' | 'auto';
  metadata: Record<string, string>;
  user: string | null;
  store: boolean;
  previous_response_id: string | null;
  service_tier: string;
  safety_identifier: string | null;
  prompt_cache_key: string | null;
  /** Hosted search calls carry their sources (`include: ["web_search_call.action.sources"]`). */
  searchSources: boolean;
}

/** The translation: the chat body for the Hub, and what the answer echoes. */
export interface TranslatedRequest {
  chat: Json;
  stream: boolean;
  echo: ResponsesRequestEcho;
  /** The conversation so far without the instructions (the history, then this input): what a stored response keeps. */
  conversation: ChatMessage[];
  /** The tools as offered to the Hub, and how a call maps back. */
  tools: TranslatedTools;
  /** What was ignored, by name (the `x-ignored-parameters` header, the log line and a metric). */
  ignored: string[];
}

/**
 * The policy for every top-level parameter, in one place (docs/api.md says the same):
 * - served: translated for the Hub (or by this API itself: `store`, `previous_response_id`, hosted search);
 * - accepted: describes the client or tunes caching, safety or latency on OpenAI's side: nothing to do;
 * - refused (see REFUSED): would change the answer the client relies on and cannot be served: a 400;
 * - anything else is ignored and named, so new client parameters never break a request.
 */
const SERVED = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'max_output_tokens',
  'max_tool_calls',
  'temperature',
  'top_p',
  'presence_penalty',
  'frequency_penalty',
  'top_logprobs',
  'text',
  'reasoning',
  'include',
  'metadata',
  'user',
  'stream',
  'store',
  'previous_response_id',
  'truncation',
]);
const ACCEPTED = new Set([
  'client_metadata',
  'prompt_cache_key',
  'prompt_cache_retention',
  'prompt_cache_options',
  'safety_identifier',
  'service_tier',
  'stream_options',
]);
// Refused when set to something other than "nothing": the reason is the 400's message.
const REFUSED: Record<string, { when: (v: unknown) => boolean; message: string }> = {
  background: { when: (v) => v === true, message: 'Background responses are not supported: the Hub answers while the request is open.' },
  conversation: {
    when: (v) => v != null,
    message: 'Conversations are not supported: send the conversation in "input", or continue one with "previous_response_id".',
  },
  prompt: { when: (v) => v != null, message: 'Stored prompt templates are not supported: send "instructions" and "input".' },
};
/** `include` values: output this API returns when there is any, or that cannot exist here (its tool is refused). */
const INCLUDE_SERVED = new Set([
  'reasoning.encrypted_content',
  'web_search_call.action.sources',
  'web_search_call.results',
  'file_search_call.results',
  'code_interpreter_call.outputs',
  'computer_call_output.output.image_url',
  'message.input_image.image_url',
]);
const INCLUDE_REFUSED: Record<string, string> = {
  'message.output_text.logprobs': 'Log probabilities are not returned by this API ("include": "message.output_text.logprobs").',
};

/** Checks `include`; @returns unknown values (ignored and named) and whether search sources are asked for. */
function checkInclude(include: unknown): { ignored: string[]; sources: boolean } {
  if (include === undefined || include === null) return { ignored: [], sources: false };
  if (!Array.isArray(include)) throw invalid('include', '"include" must be a list.');
  const ignored: string[] = [];
  for (const [i, value] of include.entries()) {
    if (typeof value !== 'string') throw invalid(`include[${i}]`, `include[${i}] must be a string.`);
    if (INCLUDE_REFUSED[value] !== undefined) throw bad(`include[${i}]`, INCLUDE_REFUSED[value]);
    if (!INCLUDE_SERVED.has(value)) ignored.push(`include.${value}`);
  }
  return { ignored, sources: include.includes('web_search_call.action.sources') };
}

/** `reasoning`, checked: `effort` goes to the Hub as `reasoning_effort`; `summary` is accepted. */
function checkReasoning(reasoning: unknown): { effort: string | null; summary: string | null } {
  if (reasoning === undefined || reasoning === null) return { effort: null, summary: null };
  if (!isObject(reasoning)) throw invalid('reasoning', '"reasoning" must be an object.');
  const text = (key: string) => {
    const v = reasoning[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') throw invalid(`reasoning.${key}`, `"reasoning.${key}" must be a string.`);
    return v;
  };
  return { effort: text('effort'), summary: text('summary') ?? text('generate_summary') };
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

/** A number within bounds, or null when absent. */
function boundedOrNull(body: Json, key: string, min: number, max: number, integer = false): number | null {
  const v = numberOrNull(body, key);
  if (v !== null && (v < min || v > max || (integer && !Number.isInteger(v))))
    throw invalid(key, `"${key}" must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}.`);
  return v;
}

/** The printable, bounded form of a parameter name (for a header and a log line). */
const nameOf = (key: string) => key.replace(/[^A-Za-z0-9_.-]/g, '?').slice(0, 60);

/**
 * Translates a Responses request. `searchAvailable`: this deployment has a web search key.
 * @throws BadRequestError naming the parameter that is wrong or cannot be served.
 */
export function toChatRequest(body: Json, history: ChatMessage[] = [], searchAvailable = false): TranslatedRequest {
  const ignored: string[] = [];
  for (const key of Object.keys(body)) {
    const refused = REFUSED[key];
    if (refused !== undefined) {
      if (refused.when(body[key])) throw bad(key, refused.message);
    } else if (!SERVED.has(key) && !ACCEPTED.has(key)) ignored.push(nameOf(key));
  }
  if (typeof body.model !== 'string' || body.model.trim() === '') {
    throw new BadRequestError('"model" is required: name a model from GET /v1/models.', { param: 'model', code: 'missing_model' });
  }
  for (const flag of ['stream', 'store', 'parallel_tool_calls'] as const)
    if (body[flag] !== undefined && body[flag] !== null && typeof body[flag] !== 'boolean')
      throw invalid(flag, `"${flag}" must be a boolean.`);
  if (body.metadata !== undefined && body.metadata !== null && !isObject(body.metadata))
    throw invalid('metadata', '"metadata" must be an object.');
  if (body.truncation != null && body.truncation !== 'disabled' && body.truncation !== 'auto')
    throw invalid('truncation', '"truncation" must be "disabled" or "auto".');
  const include = checkInclude(body.include);
  ignored.push(...include.ignored);
  const reasoning = checkReasoning(body.reasoning);
  const topLogprobs = boundedOrNull(body, 'top_logprobs', 0, 20, true);
  if (topLogprobs !== null && topLogprobs > 0)
    throw bad('top_logprobs', 'Log probabilities are not returned by this API ("top_logprobs").');
  const stream = body.stream === true;
  const maxOutput = numberOrNull(body, 'max_output_tokens');
  const maxToolCalls = boundedOrNull(body, 'max_tool_calls', 0, 1_000, true);
  const temperature = numberOrNull(body, 'temperature');
  const topP = numberOrNull(body, 'top_p');
  const presence = numberOrNull(body, 'presence_penalty');
  const frequency = numberOrNull(body, 'frequency_penalty');
  const tools = toChatTools(body.tools, searchAvailable);
  ignored.push(...tools.ignored);
  const toolChoice = toToolChoice(body.tool_choice, tools);
  const responseFormat = toResponseFormat(body.text);
  if (isObject(body.text) && body.text.verbosity != null) ignored.push('text.verbosity');
  // Always a leading system message (empty without instructions, then dropped), so history goes after it.
  const [system, ...input] = toMessages(body.input, body.instructions ?? '', tools);
  const conversation = [...history, ...input];
  const chat: Json = {
    model: body.model,
    messages: system?.content === '' ? conversation : [system, ...conversation],
    ...(tools.chat === undefined ? {} : { tools: tools.chat }),
    ...(toolChoice === undefined || tools.chat === undefined ? {} : { tool_choice: toolChoice }),
    ...(typeof body.parallel_tool_calls === 'boolean' && tools.chat !== undefined ? { parallel_tool_calls: body.parallel_tool_calls } : {}),
    ...(maxOutput === null ? {} : { max_tokens: maxOutput }),
    ...(temperature === null ? {} : { temperature }),
    ...(topP === null ? {} : { top_p: topP }),
    ...(presence === null ? {} : { presence_penalty: presence }),
    ...(frequency === null ? {} : { frequency_penalty: frequency }),
    ...(responseFormat === undefined ? {} : { response_format: responseFormat }),
    ...(reasoning.effort === null ? {} : { reasoning_effort: reasoning.effort }),
    ...(typeof body.user === 'string' ? { user: body.user } : {}),
    // Usage is part of every response (and of response.completed in a stream).
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
  const format = isObject(body.text) && isObject(body.text.format) ? body.text.format : { type: 'text' };
  const text = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : null);
  return {
    chat,
    stream,
    tools,
    ignored,
    echo: {
      model: body.model,
      instructions: typeof body.instructions === 'string' ? body.instructions : null,
      max_output_tokens: maxOutput,
      max_tool_calls: maxToolCalls,
      parallel_tool_calls: body.parallel_tool_calls !== false,
      // The sampling values the Hub used: the client's, else the OpenAI defaults the Hub's models apply.
      temperature: temperature ?? 1,
      top_p: topP ?? 1,
      presence_penalty: presence ?? 0,
      frequency_penalty: frequency ?? 0,
      top_logprobs: topLogprobs ?? 0,
      tool_choice: body.tool_choice ?? 'auto',
      tools: tools.echo,
      text: { format },
      reasoning,
      truncation: body.truncation === 'auto' ? 'auto' : 'disabled',
      metadata: isObject(body.metadata) ? (body.metadata as Record<string, string>) : {},
      user: text('user'),
      store: body.store !== false,
      previous_response_id: previousResponseId(body),
      service_tier: 'default',
      safety_identifier: text('safety_identifier'),
      prompt_cache_key: text('prompt_cache_key'),
      searchSources: include.sources,
    },
    conversation,
  };
}
