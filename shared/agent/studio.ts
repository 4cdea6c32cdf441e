/**
 * Fine-tuned models on IONOS Studio: the conversation mapped to Studio's two roles, one job run to
 * completion, and the answer in the same flat AI message shape as Hub answers. Studio reports no token
 * counts, so `token_usage` and `usage_metadata` are null.
 */
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import type { FlatAIMessage } from '#shared/agent/messages.ts';
import type { FlatMessage } from '#shared/agent/request.ts';
import { toStudioConversation, type StudioMessage } from '#shared/ionos/studio-client.ts';
import { textOf } from '#shared/message-text.ts';
import type { HubRequest } from '#shared/pipeline/hub-request.ts';

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

const LANGCHAIN_ROLES: Record<string, 'user' | 'assistant' | 'system' | 'other'> = { human: 'user', ai: 'assistant', system: 'system' };

/** What a Studio model of a thread run needs. */
export interface StudioModelOptions {
  modelId: string;
  upstream: HubRequest;
  temperature: number;
  maxTokens: number;
  /** Epoch ms by which the job must be done (the run's deadline). */
  deadline: number;
}

/**
 * A fine-tuned Studio model as a LangChain chat model, so a thread run on a Studio UUID goes through the
 * same graph (and checkpoints) as a Hub model: each call is one Studio job through the run's pipeline. It
 * takes no tools and no system prompt of ours; its answer arrives whole (Studio does not stream).
 */
export class StudioChatModel extends BaseChatModel {
  readonly #options: StudioModelOptions;

  constructor(options: StudioModelOptions) {
    super({});
    this.#options = options;
  }

  _llmType(): string {
    return 'ionos-studio';
  }

  async _generate(messages: BaseMessage[], options: this['ParsedCallOptions']): Promise<ChatResult> {
    const { modelId, upstream, temperature, maxTokens, deadline } = this.#options;
    const turns = messages.map((m) => ({ role: LANGCHAIN_ROLES[m.getType()] ?? 'other', text: textOf(m.content) }));
    const { jobId, text } = await upstream.studioJob({
      modelId,
      messages: toStudioConversation(turns, 'input.messages'),
      temperature,
      maxTokens,
      deadlineMs: Math.max(1, deadline - Date.now()),
      signal: options.signal,
    });
    const message = new AIMessage({ content: text, response_metadata: { model_name: modelId, id: jobId, finish_reason: 'stop' } });
    return { generations: [{ text, message }] };
  }
}
