/**
 * Fine-tuned Studio models behind `/v1/chat/completions`: a request whose `model` is a Studio UUID runs a
 * Studio job and answers in the chat completion shape (one chunk and `[DONE]` when streamed), so OpenAI
 * SDKs reach fine-tuned models too. Studio has only two roles and no tools: system text is prefixed to the
 * first user turn, tool traffic is dropped. Studio reports no token counts, so there is no `usage`.
 */
import { Readable } from 'node:stream';
import type { HandlerResult } from '#shared/http/handler.ts';
import { jsonResponse } from '#shared/http/response.ts';
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

/** Answers one chat completion request with a Studio job (through the request's pipeline). */
export async function studioChatCompletion(
  body: Record<string, unknown>,
  modelId: string,
  request: HubRequest,
  deadlineMs: number,
): Promise<HandlerResult> {
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const { jobId, text: answer } = await request.studioJob({
    modelId,
    messages: toStudioTurns(body.messages),
    temperature: num(body.temperature),
    maxTokens: num(body.max_completion_tokens) ?? num(body.max_tokens),
    deadlineMs,
  });
  const base = { id: `chatcmpl-${jobId}`, created: Math.floor(Date.now() / 1000), model: modelId };
  if (body.stream !== true) {
    return jsonResponse(200, {
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop', logprobs: null }],
    });
  }
  const chunk = (delta: object, finish: string | null) =>
    sseEvent({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] });
  return sseResponse(Readable.from([chunk({ role: 'assistant', content: answer }, null), chunk({}, 'stop'), SSE_DONE]));
}
