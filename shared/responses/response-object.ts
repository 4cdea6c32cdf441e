/**
 * Responses API answers built from Hub chat completions: the `response` object (buffered), and its parts
 * for the stream (the skeleton of `response.created`, output items, usage). One set of builders for both,
 * so a streamed response ends equal to the buffered one. The response object and the items the Open
 * Responses specification defines (message, function_call, reasoning) carry every field it requires; the
 * items it does not define (custom_tool_call, web_search_call) have the OpenAI SDK's shapes.
 */
import { randomBytes } from 'node:crypto';
import type { ResponsesRequestEcho } from '#shared/responses/request.ts';
import { customInput, type ToolOrigin } from '#shared/responses/tools.ts';
import type { SearchResult } from '#shared/web-search.ts';

type Json = Record<string, unknown>;

/** An id in OpenAI's style: a prefix and 48 hex digits. */
export const newId = (prefix: 'resp' | 'msg' | 'fc' | 'ctc' | 'rs' | 'ws') => `${prefix}_${randomBytes(24).toString('hex')}`;

/** A chat completion's `usage`, summed over the model calls of one response. */
export interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

/** Adds `next` to `sum` (a response with a hosted search makes several model calls). */
export function addUsage(sum: ChatUsage | null, next: unknown): ChatUsage | null {
  const u = (next ?? {}) as ChatUsage;
  if (typeof u.prompt_tokens !== 'number' && typeof u.completion_tokens !== 'number') return sum;
  const n = (v: number | undefined) => v ?? 0;
  return {
    prompt_tokens: n(sum?.prompt_tokens) + n(u.prompt_tokens),
    completion_tokens: n(sum?.completion_tokens) + n(u.completion_tokens),
    total_tokens: n(sum?.total_tokens) + (u.total_tokens ?? n(u.prompt_tokens) + n(u.completion_tokens)),
    prompt_tokens_details: { cached_tokens: n(sum?.prompt_tokens_details?.cached_tokens) + n(u.prompt_tokens_details?.cached_tokens) },
    completion_tokens_details: {
      reasoning_tokens: n(sum?.completion_tokens_details?.reasoning_tokens) + n(u.completion_tokens_details?.reasoning_tokens),
    },
  };
}

/** The Responses usage of a chat completion's `usage`. */
export function toUsage(usage: ChatUsage | null): Json | null {
  if (usage === null) return null;
  const input = usage.prompt_tokens ?? 0;
  const output = usage.completion_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens ?? input + output,
  };
}

type Status = 'completed' | 'in_progress' | 'incomplete';

/** An assistant message item. */
export const messageItem = (id: string, text: string, status: Status = 'completed') => ({
  id,
  type: 'message',
  status,
  role: 'assistant',
  content: status === 'in_progress' ? [] : [textPart(text)],
});

/** An output_text content part. */
export const textPart = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });

/** A reasoning item: the model's reasoning text as its content (the Hub gives no summary). */
export const reasoningItem = (id: string, text: string, status: Status = 'completed') => ({
  id,
  type: 'reasoning',
  status,
  summary: [],
  content: status === 'in_progress' ? [] : [{ type: 'reasoning_text', text }],
});

/**
 * The item of a client tool call: a `function_call` (with its `namespace` when it belongs to one) or a
 * `custom_tool_call`, by what the chat name was offered for.
 */
export function toolCallItem(
  id: string,
  callId: string,
  origin: ToolOrigin | undefined,
  chatName: string,
  args: string,
  status: Status = 'completed',
) {
  const namespace = origin !== undefined && 'namespace' in origin && origin.namespace !== undefined ? { namespace: origin.namespace } : {};
  if (origin?.kind === 'custom') {
    return {
      id,
      type: 'custom_tool_call',
      status,
      call_id: callId,
      name: origin.name,
      ...namespace,
      input: status === 'in_progress' ? '' : customInput(args),
    };
  }
  const name = origin?.kind === 'function' ? origin.name : chatName;
  return { id, type: 'function_call', status, call_id: callId, name, ...namespace, arguments: args };
}

/** A hosted web search call; its `action` names the query (and the sources, when asked for). */
export function webSearchItem(
  id: string,
  query: string,
  status: 'in_progress' | 'searching' | 'completed' | 'failed',
  sources?: SearchResult[],
) {
  const action = {
    type: 'search',
    query,
    ...(sources === undefined ? {} : { sources: sources.map((s) => ({ type: 'url', url: s.url })) }),
  };
  return { id, type: 'web_search_call', status, action };
}

/** The response object around its output. */
export function responseObject(
  id: string,
  createdAt: number,
  echo: ResponsesRequestEcho,
  state: {
    status: 'in_progress' | 'completed' | 'incomplete' | 'failed';
    output: unknown[];
    usage: Json | null;
    model?: string;
    error?: Json | null;
  },
): Json {
  const done = state.status === 'completed' || state.status === 'incomplete';
  return {
    id,
    object: 'response',
    created_at: createdAt,
    completed_at: done ? Math.max(createdAt, Math.floor(Date.now() / 1000)) : null,
    status: state.status,
    background: false,
    error: state.error ?? null,
    incomplete_details: state.status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: echo.instructions,
    max_output_tokens: echo.max_output_tokens,
    max_tool_calls: echo.max_tool_calls,
    model: state.model ?? echo.model,
    output: state.output,
    parallel_tool_calls: echo.parallel_tool_calls,
    previous_response_id: echo.previous_response_id,
    reasoning: echo.reasoning,
    store: echo.store,
    temperature: echo.temperature,
    top_p: echo.top_p,
    presence_penalty: echo.presence_penalty,
    frequency_penalty: echo.frequency_penalty,
    top_logprobs: echo.top_logprobs,
    text: echo.text,
    tool_choice: echo.tool_choice,
    tools: echo.tools,
    truncation: echo.truncation,
    usage: state.usage,
    user: echo.user,
    metadata: echo.metadata,
    service_tier: echo.service_tier,
    safety_identifier: echo.safety_identifier,
    prompt_cache_key: echo.prompt_cache_key,
  };
}

/** The reasoning text of a chat message or stream delta, whichever field the server uses. */
export const reasoningOf = (m: { reasoning_content?: string | null; reasoning?: string | null } | undefined): string =>
  (typeof m?.reasoning_content === 'string' ? m.reasoning_content : typeof m?.reasoning === 'string' ? m.reasoning : '') ?? '';
