/**
 * LangChain message conversion: the flat JSON shape clients send and receive (as LangChain Python's
 * `message.model_dump()` produces it) to LangChain.js message objects and back. LangChain.js's own
 * `toJSON()` is a different (constructor) format, so the response shape is built here explicitly.
 */
import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage, type UsageMetadata } from '@langchain/core/messages';
import type { FlatMessage } from '#shared/agent/request.ts';
import { textOf } from '#shared/message-text.ts';

/** The flat AI message returned by `POST /`, key for key as in the original backend's example. */
export interface FlatAIMessage {
  content: string;
  additional_kwargs: Record<string, unknown> & { refusal: string | null };
  response_metadata: {
    token_usage: TokenUsage | null;
    model_name: string;
    system_fingerprint: string | null;
    id: string | null;
    service_tier: string | null;
    finish_reason: string | null;
    logprobs: null;
  };
  type: 'ai';
  name: string | null;
  id: string;
  example: false;
  tool_calls: { name: string; args: Record<string, unknown>; id: string | null; type: 'tool_call' }[];
  invalid_tool_calls: unknown[];
  usage_metadata: UsageMetadata | null;
}

/** OpenAI-style token counts, as in `response_metadata.token_usage`. */
export interface TokenUsage {
  completion_tokens: number;
  prompt_tokens: number;
  total_tokens: number;
  completion_tokens_details: null;
  prompt_tokens_details: null;
}

/** One validated message, of any of the four kinds, as its LangChain.js message (`POST /` and thread input alike). */
export interface MessageFields {
  type: 'human' | 'system' | 'ai' | 'tool';
  content: FlatMessage['content'] | ({ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } })[];
  name?: string | null;
  id?: string | null;
  tool_calls?: { id: string; name: string; args: Record<string, unknown> }[];
  /** Required for a tool message (validated by the caller). */
  tool_call_id?: string;
}

/** The LangChain.js message of validated fields. */
export function toLangChainMessage(m: MessageFields): BaseMessage {
  const common = { content: m.content, name: m.name ?? undefined, id: m.id ?? undefined };
  switch (m.type) {
    case 'human':
      return new HumanMessage(common);
    case 'system':
      return new SystemMessage(common);
    case 'ai':
      return new AIMessage({ ...common, tool_calls: (m.tool_calls ?? []).map((c) => ({ ...c, type: 'tool_call' as const })) });
    case 'tool':
      return new ToolMessage({ ...common, tool_call_id: m.tool_call_id ?? '' });
  }
}

/** Converts validated flat messages to LangChain.js messages. */
export function toLangChainMessages(messages: FlatMessage[]): BaseMessage[] {
  return messages.map(toLangChainMessage);
}

/** Sums token usage over every model call of a run. */
export function sumUsage(messages: readonly BaseMessage[]): UsageMetadata | null {
  const usages = messages
    .filter(AIMessage.isInstance)
    .map((m) => m.usage_metadata)
    .filter((u) => u !== undefined);
  if (usages.length === 0) return null;
  const sum = (key: 'input_tokens' | 'output_tokens' | 'total_tokens') => usages.reduce((n, u) => n + (u[key] ?? 0), 0);
  return {
    input_tokens: sum('input_tokens'),
    output_tokens: sum('output_tokens'),
    total_tokens: sum('total_tokens'),
    input_token_details: {},
    output_token_details: {},
  };
}

/**
 * Builds the flat response from the run's final AI message, with token counts summed over `runMessages`
 * (every message the run produced).
 */
export function toFlatAIMessage(final: AIMessage, runMessages: readonly BaseMessage[], runId: string, modelId: string): FlatAIMessage {
  const meta = final.response_metadata as Record<string, unknown>;
  const usage = sumUsage(runMessages);
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    content: textOf(final.content),
    additional_kwargs: { refusal: null, ...(final.additional_kwargs as Record<string, unknown>) },
    response_metadata: {
      token_usage:
        usage === null
          ? null
          : {
              completion_tokens: usage.output_tokens,
              prompt_tokens: usage.input_tokens,
              total_tokens: usage.total_tokens,
              completion_tokens_details: null,
              prompt_tokens_details: null,
            },
      model_name: str(meta.model_name) ?? modelId,
      system_fingerprint: str(meta.system_fingerprint),
      id: str(final.id) ?? str(meta.id),
      service_tier: str(meta.service_tier),
      finish_reason: str(meta.finish_reason),
      logprobs: null,
    },
    type: 'ai',
    name: final.name ?? null,
    id: `run--${runId}-0`,
    example: false,
    tool_calls: final.tool_calls?.map((c) => ({ name: c.name, args: c.args, id: c.id ?? null, type: 'tool_call' as const })) ?? [],
    invalid_tool_calls: final.invalid_tool_calls ?? [],
    usage_metadata: usage,
  };
}
