/**
 * Fine-tuned models on IONOS Studio: the conversation mapped to Studio's two roles, one job run to
 * completion, and the answer in the same flat AI message shape as Hub answers. Studio reports no token
 * counts, so `token_usage` and `usage_metadata` are null.
 */
import type { FlatAIMessage } from '#shared/agent/messages.ts';
import type { FlatMessage } from '#shared/agent/request.ts';
import { BadRequestError } from '#shared/errors.ts';
import type { StudioMessage } from '#shared/ionos/studio-client.ts';

const text = (content: FlatMessage['content']) =>
  typeof content === 'string' ? content : content.map((p) => (p.type === 'text' ? p.text : '')).join('');

/**
 * Maps a conversation to Studio turns: human → user, ai → assistant; system text is kept as a prefix of
 * the first user turn (Studio has no system role); tool calls and results are dropped (Studio has no tools).
 * @throws BadRequestError when no human message remains.
 */
export function toStudioMessages(messages: FlatMessage[]): StudioMessage[] {
  const system = messages.filter((m) => m.type === 'system').map((m) => text(m.content)).filter((t) => t !== '');
  const turns: StudioMessage[] = [];
  for (const m of messages) {
    const content = text(m.content);
    if (m.type === 'human') turns.push({ role: 'user', content });
    else if (m.type === 'ai' && content !== '') turns.push({ role: 'assistant', content });
  }
  const firstUser = turns.find((t) => t.role === 'user');
  if (firstUser === undefined) throw new BadRequestError('A Studio (fine-tuned) model needs at least one human message.', { param: 'messages' });
  if (system.length > 0) firstUser.content = `${system.join('\n\n')}\n\n${firstUser.content}`;
  return turns;
}

/** The flat AI message for a Studio answer. */
export function studioAnswer(content: string, jobId: string, modelId: string, runId: string): FlatAIMessage {
  return {
    content,
    additional_kwargs: { refusal: null },
    response_metadata: { token_usage: null, model_name: modelId, system_fingerprint: null, id: jobId, service_tier: null, finish_reason: 'stop', logprobs: null },
    type: 'ai',
    name: null,
    id: `run--${runId}-0`,
    example: false,
    tool_calls: [],
    invalid_tool_calls: [],
    usage_metadata: null,
  };
}
