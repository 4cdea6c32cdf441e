/**
 * Fine-tuned models on IONOS Studio: the conversation mapped to Studio's two roles, one job run to
 * completion, and the answer in the same flat AI message shape as Hub answers. Studio reports no token
 * counts, so `token_usage` and `usage_metadata` are null.
 */
import type { FlatAIMessage } from '#shared/agent/messages.ts';
import type { FlatMessage } from '#shared/agent/request.ts';
import { toStudioConversation, type StudioMessage } from '#shared/ionos/studio-client.ts';
import { textOf } from '#shared/message-text.ts';

const ROLES = { human: 'user', ai: 'assistant', system: 'system', tool: 'other' } as const;

/** Maps a flat conversation to Studio turns (human → user, ai → assistant), by Studio's rules. */
export function toStudioMessages(messages: FlatMessage[]): StudioMessage[] {
  return toStudioConversation(
    messages.map((m) => ({ role: ROLES[m.type], text: textOf(m.content) })),
    'messages',
  );
}

/** The flat AI message for a Studio answer. */
export function studioAnswer(content: string, jobId: string, modelId: string, runId: string): FlatAIMessage {
  return {
    content,
    additional_kwargs: { refusal: null },
    response_metadata: {
      token_usage: null,
      model_name: modelId,
      system_fingerprint: null,
      id: jobId,
      service_tier: null,
      finish_reason: 'stop',
      logprobs: null,
    },
    type: 'ai',
    name: null,
    id: `run--${runId}-0`,
    example: false,
    tool_calls: [],
    invalid_tool_calls: [],
    usage_metadata: null,
  };
}
