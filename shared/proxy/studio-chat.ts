/**
 * Fine-tuned Studio models behind `/v1/chat/completions`: a request whose `model` is a Studio UUID runs a
 * Studio job and answers in the chat completion shape (one chunk and `[DONE]` when streamed), so OpenAI
 * SDKs reach fine-tuned models too. Studio has only two roles and no tools: system text is prefixed to the
 * first user turn, tool traffic is dropped. Studio reports no token counts, so there is no `usage`.
 */
import { Readable } from 'node:stream';
import type { HandlerResult } from '#shared/http/handler.ts';
import { jsonResponse } from '#shared/http/json-response.ts';
import { SSE_DONE, sseEvent, sseResponse } from '#shared/http/sse.ts';
import { toStudioConversation, type StudioMessage, type TurnInput } from '#shared/ionos/studio-client.ts';
import type { HubRequest } from '#shared/pipeline/hub-request.ts';
import { textOf } from '#shared/message-text.ts';

type ChatMessage = { role?: unknown; content?: unknown };

const role = (r: unknown): TurnInput['role'] =>
  r === 'user' || r === 'assistant' || r === 'system' ? r : r === 'developer' ? 'system' : 'other';

/** Maps OpenAI chat messages to Studio turns, by Studio's rules. */
export function toStudioTurns(messages: unknown): StudioMessage[] {
  const list: ChatMessage[] = Array.isArray(messages) ? messages : [];
  return toStudioConversation(
    list.map((m) => ({ role: role(m?.role), text: textOf(m?.content) })),
    'messages',
  );
}

/** The `chat.completion` a Studio job answers (one choice, its text). */
export interface StudioCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: [{ index: 0; message: { role: 'assistant'; content: string }; finish_reason: 'stop'; logprobs: null }];
}

/** One chat completion request as a Studio job (through the request's pipeline): the `chat.completion` it answers. */
export async function studioCompletion(
  body: Record<string, unknown>,
  modelId: string,
  request: HubRequest,
  deadlineMs: number,
): Promise<StudioCompletion> {
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const { jobId, text: answer } = await request.studioJob({
    modelId,
    messages: toStudioTurns(body.messages),
    temperature: num(body.temperature),
    maxTokens: num(body.max_completion_tokens) ?? num(body.max_tokens),
    deadlineMs,
  });
  return {
    id: `chatcmpl-${jobId}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: modelId,
    choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop', logprobs: null }],
  };
}

/** Answers one chat completion request with a Studio job: JSON, or one chunk and `[DONE]` when streamed. */
export async function studioChatCompletion(
  body: Record<string, unknown>,
  modelId: string,
  request: HubRequest,
  deadlineMs: number,
): Promise<HandlerResult> {
  const completion = await studioCompletion(body, modelId, request, deadlineMs);
  if (body.stream !== true) return jsonResponse(200, completion);
  const { id, created, model } = completion;
  const chunk = (delta: object, finish: string | null) =>
    sseEvent({ id, created, model, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] });
  const { content } = completion.choices[0].message;
  return sseResponse(Readable.from([chunk({ role: 'assistant', content }, null), chunk({}, 'stop'), SSE_DONE]));
}
