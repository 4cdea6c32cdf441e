/**
 * The agent's request edge: `{"messages":[...]}` in LangChain's flat message shape, validated with a schema
 * that names the offending field (`messages[3].content`). Unknown extra fields are ignored, so a client can
 * send back the exact AI message object it received.
 */
import * as z from 'zod/mini';
import { BadRequestError } from '#shared/errors.ts';

const contentPart = z.union(
  [
    z.object({ type: z.literal('text'), text: z.string({ error: 'must be a string' }) }),
    z.object({
      type: z.literal('image_url'),
      image_url: z.union([z.string(), z.object({ url: z.string(), detail: z.optional(z.enum(['low', 'high', 'auto'])) })], {
        error: 'must be a URL string or {"url": "..."}',
      }),
    }),
  ],
  { error: 'must be {"type":"text","text":"..."} or {"type":"image_url","image_url":{"url":"..."}}' },
);
const content = z.union([z.string(), z.array(contentPart)], { error: 'must be a string or a list of text / image_url parts' });
const optionalText = z.optional(z.nullable(z.string({ error: 'must be a string or null' })));
const toolCall = z.object({
  id: z.string({ error: 'must be a string' }),
  name: z.string({ error: 'must be a string' }).check(z.minLength(1, 'must not be empty')),
  args: z.record(z.string(), z.unknown(), { error: 'must be an object' }),
});

const message = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('human'), content, name: optionalText, id: optionalText }),
    z.object({ type: z.literal('system'), content, name: optionalText, id: optionalText }),
    z.object({
      type: z.literal('ai'),
      content,
      name: optionalText,
      id: optionalText,
      tool_calls: z.optional(z.array(toolCall, { error: 'must be a list' })),
    }),
    z.object({
      type: z.literal('tool'),
      content,
      name: optionalText,
      id: optionalText,
      tool_call_id: z.string({ error: 'is required for a tool message (a string)' }),
    }),
  ],
  { error: 'must be one of "human", "ai", "tool", "system"' },
);

const body = z.object({
  messages: z.array(message, { error: 'must be a list of messages' }).check(z.minLength(1, 'must contain at least one message')),
});

/** One validated message in LangChain's flat shape. */
export type FlatMessage = z.infer<typeof message>;

/** Formats a zod path as `messages[3].content`; a discriminator error points at `.type`. */
function fieldName(path: PropertyKey[], code: string): string {
  const name = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
  return code === 'invalid_union' && path.length === 2 && path[0] === 'messages' ? `${name}.type` : name || 'body';
}

/**
 * Validates the request body.
 * @throws BadRequestError naming the first invalid field, and the tool message whose call is missing.
 */
export function parseAgentRequest(input: Record<string, unknown>): FlatMessage[] {
  const result = body.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0] as z.core.$ZodIssue;
    const param = fieldName(issue.path, issue.code);
    throw new BadRequestError(`Invalid request: ${param} ${issue.message}.`, { param });
  }
  const { messages } = result.data;
  const calls = new Set<string>();
  messages.forEach((m, i) => {
    if (m.type === 'ai') for (const call of m.tool_calls ?? []) calls.add(call.id);
    if (m.type === 'tool' && !calls.has(m.tool_call_id)) {
      throw new BadRequestError(
        `Invalid request: messages[${i}] is a tool result for tool_call_id "${m.tool_call_id}", but no earlier ai message has a tool call with that id. Send the ai message with its tool_calls before its tool results.`,
        { param: `messages[${i}].tool_call_id` },
      );
    }
  });
  return messages;
}

/** The conversation limits of a run (see `RuntimeConfig.agent`). */
export interface ConversationLimits {
  maxMessages: number;
  maxChars: number;
}

/**
 * Keeps the most recent messages, at most `max` in all: leading system messages first (they count), then
 * the latest turns, never starting with tool results whose tool call was cut off (dropped with it).
 * @throws BadRequestError when the leading system messages alone leave no room for a turn.
 */
export function keepRecent(messages: FlatMessage[], max: number): FlatMessage[] {
  const leadingSystem = messages.findIndex((m) => m.type !== 'system');
  const system = leadingSystem === -1 ? messages : messages.slice(0, leadingSystem);
  const rest = leadingSystem === -1 ? [] : messages.slice(leadingSystem);
  if (system.length >= max && rest.length > 0) {
    throw new BadRequestError(
      `Invalid request: messages starts with ${system.length} system messages; at most ${max - 1} fit beside the conversation (the limit is ${max} messages in all). Join the system messages into one.`,
      { param: 'messages', code: 'too_many_messages' },
    );
  }
  let recent = rest.slice(Math.max(0, rest.length - (max - system.length)));
  while (recent[0]?.type === 'tool') recent = recent.slice(1);
  return [...system.slice(0, max), ...recent];
}

/** Characters of text in a message (image parts are bounded by the body size, not counted). */
function textLength(m: FlatMessage): number {
  if (typeof m.content === 'string') return m.content.length;
  return m.content.reduce((n, part) => n + (part.type === 'text' ? part.text.length : 0), 0);
}

/**
 * Applies the conversation limits: the most recent messages (see {@link keepRecent}), whose text must fit
 * in `maxChars`.
 * @throws BadRequestError naming the limit that was exceeded.
 */
export function limitConversation(messages: FlatMessage[], limits: ConversationLimits): FlatMessage[] {
  const kept = keepRecent(messages, limits.maxMessages);
  const chars = kept.reduce((n, m) => n + textLength(m), 0);
  if (chars > limits.maxChars) {
    throw new BadRequestError(
      `Invalid request: the conversation holds ${chars} characters of text, above this API's limit of ${limits.maxChars}. Send fewer or shorter messages.`,
      { param: 'messages', code: 'conversation_too_long' },
    );
  }
  return kept;
}
