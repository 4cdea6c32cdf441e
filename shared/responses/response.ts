/**
 * Responses API answers built from Hub chat completions: the `response` object (buffered), and its parts
 * for the stream (the skeleton of `response.created`, output items, usage). One set of builders for both,
 * so a streamed response ends equal to the buffered one.
 */
import { randomBytes } from 'node:crypto';
import type { ResponsesRequestEcho } from '#shared/responses/request.ts';

type Json = Record<string, unknown>;

/** An id in OpenAI's style: a prefix and 48 hex digits. */
export const newId = (prefix: 'resp' | 'msg' | 'fc') => `${prefix}_${randomBytes(24).toString('hex')}`;

/** The Responses usage of a chat completion's `usage`. */
export function toUsage(usage: unknown): Json | null {
  const u = (usage ?? {}) as { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number };
  if (typeof u.prompt_tokens !== 'number' && typeof u.completion_tokens !== 'number') return null;
  const input = u.prompt_tokens ?? 0;
  const output = u.completion_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: u.total_tokens ?? input + output,
  };
}

/** A finished assistant message item. */
export const messageItem = (id: string, text: string, status: 'completed' | 'in_progress' | 'incomplete' = 'completed') => ({
  id,
  type: 'message',
  status,
  role: 'assistant',
  content: status === 'in_progress' ? [] : [textPart(text)],
});

/** An output_text content part. */
export const textPart = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });

/** A function call item. */
export const functionCallItem = (
  id: string,
  callId: string,
  name: string,
  args: string,
  status: 'completed' | 'in_progress' = 'completed',
) => ({
  id,
  type: 'function_call',
  status,
  call_id: callId,
  name,
  arguments: args,
});

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
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: state.status,
    background: false,
    error: state.error ?? null,
    incomplete_details: state.status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: echo.instructions,
    max_output_tokens: echo.max_output_tokens,
    model: state.model ?? echo.model,
    output: state.output,
    parallel_tool_calls: echo.parallel_tool_calls,
    previous_response_id: echo.previous_response_id,
    reasoning: { effort: null, summary: null },
    store: echo.store,
    temperature: echo.temperature,
    text: echo.text,
    tool_choice: echo.tool_choice,
    tools: echo.tools,
    top_p: echo.top_p,
    truncation: 'disabled',
    usage: state.usage,
    user: echo.user,
    metadata: echo.metadata,
  };
}

interface ChatChoice {
  finish_reason?: string | null;
  message?: { content?: string | null; tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[] };
}

/** The response for a buffered chat completion. */
export function fromChatCompletion(completion: unknown, echo: ResponsesRequestEcho, createdAt = Math.floor(Date.now() / 1000)): Json {
  const c = (completion ?? {}) as { model?: string; choices?: ChatChoice[]; usage?: unknown };
  const choice = c.choices?.[0] ?? {};
  const status = choice.finish_reason === 'length' ? 'incomplete' : 'completed';
  const output: unknown[] = [];
  const text = choice.message?.content;
  if (typeof text === 'string' && text !== '') output.push(messageItem(newId('msg'), text, status));
  for (const call of choice.message?.tool_calls ?? []) {
    output.push(functionCallItem(newId('fc'), call.id ?? newId('fc'), call.function?.name ?? '', call.function?.arguments ?? ''));
  }
  return responseObject(newId('resp'), createdAt, echo, { status, output, usage: toUsage(c.usage), model: c.model });
}
