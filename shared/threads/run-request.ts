/**
 * A run request of the LangGraph API (`/threads/{id}/runs/stream|wait`, `/runs/stream|wait`), read at the
 * edge with one policy, as for the Responses API: what this API cannot honour is a 400 naming it (commands
 * and interrupts: the agent never pauses; webhooks, delayed and background runs: a Lambda answers the
 * request it was called for; other multitask strategies); what asks for nothing is accepted; anything else
 * is ignored and named (`x-ignored-parameters`).
 *
 * Input messages come in the shapes UIs send: `type` (`human`, `ai`, `system`, `tool`) or `role` (`user`,
 * `assistant`, …), content a string or standard content blocks. Images (`image_url`, or `image` as base64
 * `data` or a `url`) go to the Hub as image parts; a text file (`file` with a text media type) becomes its
 * text; any other file is a 400 naming it, since the Hub reads no documents.
 */
import type { BaseMessage } from '@langchain/core/messages';
import * as z from 'zod/mini';
import { toLangChainMessage } from '#shared/agent/messages.ts';
import { BadRequestError } from '#shared/errors.ts';
import { ASSISTANT_ID, GRAPH_ID } from '#shared/threads/wire.ts';

/** Stream modes served, and the LangGraph.js mode each is read from. */
export const STREAM_MODES = { values: 'values', updates: 'updates', 'messages-tuple': 'messages', custom: 'custom' } as const;
/** A stream mode a client may ask for. */
export type StreamMode = keyof typeof STREAM_MODES;

/** A parsed run request. */
export interface RunRequest {
  /** The new messages of the turn (none: run from the state as it is, e.g. a regenerate from a checkpoint). */
  messages: BaseMessage[];
  streamModes: StreamMode[];
  /** The checkpoint to run from (a fork); the thread's latest without it. */
  checkpointId?: string;
  /** The model asked for, and where it was asked (the 400's `param`). */
  model?: { id: string; param: string };
  onDisconnect: 'cancel' | 'continue';
  ifNotExists: 'reject' | 'create';
  durability: 'sync' | 'async' | 'exit';
  metadata: Record<string, unknown>;
  /** Request fields read and ignored, by name. */
  ignored: string[];
}

const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/;
const TEXT_FILE = /^(text\/[\w.+-]+|application\/(json|xml|x-yaml|yaml|csv))$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const textBlock = z.object({ type: z.literal('text'), text: z.string({ error: 'must be a string' }) });
const imageUrlBlock = z.object({
  type: z.literal('image_url'),
  image_url: z.union([z.string(), z.object({ url: z.string(), detail: z.optional(z.enum(['low', 'high', 'auto'])) })], {
    error: 'must be a URL string or {"url": "..."}',
  }),
});
// The standard blocks for uploads, in both spellings LangChain has had (mimeType / mime_type).
const dataBlock = z.object({
  type: z.enum(['image', 'file']),
  source_type: z.optional(z.enum(['base64', 'url'], { error: 'must be "base64" or "url"' })),
  mimeType: z.optional(z.string()),
  mime_type: z.optional(z.string()),
  data: z.optional(z.string({ error: 'must be base64 text' })),
  url: z.optional(z.string({ error: 'must be a string' })),
  metadata: z.optional(z.record(z.string(), z.unknown())),
});
const block = z.union([textBlock, imageUrlBlock, dataBlock], {
  error: 'must be a text, image_url, image or file content block',
});
const content = z.union([z.string(), z.array(block, { error: 'must be a string or a list of content blocks' })], {
  error: 'must be a string or a list of content blocks',
});
const toolCall = z.object({
  id: z.string({ error: 'must be a string' }),
  name: z.string({ error: 'must be a string' }).check(z.minLength(1, 'must not be empty')),
  args: z.record(z.string(), z.unknown(), { error: 'must be an object' }),
});
const message = z.object({
  type: z.optional(z.string()),
  role: z.optional(z.string()),
  content,
  id: z.optional(z.nullable(z.string({ error: 'must be a string' }))),
  name: z.optional(z.nullable(z.string({ error: 'must be a string' }))),
  tool_calls: z.optional(z.array(toolCall, { error: 'must be a list' })),
  tool_call_id: z.optional(z.string({ error: 'must be a string' })),
});
const modelId = z.string({ error: 'must be a model id (a string)' });
const checkpoint = z.object({
  checkpoint_id: z.optional(z.nullable(z.string({ error: 'must be a string' }))),
  checkpoint_ns: z.optional(z.nullable(z.string())),
  thread_id: z.optional(z.nullable(z.string())),
  checkpoint_map: z.optional(z.unknown()),
});
const streamMode = z.enum(Object.keys(STREAM_MODES) as [StreamMode, ...StreamMode[]], {
  error: `must be one of ${Object.keys(STREAM_MODES).join(', ')} (messages, debug, events, tasks and checkpoints are not served; messages-tuple streams the tokens)`,
});
const body = z.object({
  assistant_id: z.string({ error: `must be "${GRAPH_ID}" or "${ASSISTANT_ID}"` }),
  input: z.optional(
    z.nullable(
      z.object({ messages: z.optional(z.array(message, { error: 'must be a list of messages' })) }, { error: 'must be an object' }),
    ),
  ),
  config: z.optional(
    z.nullable(
      z.object({
        configurable: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
        tags: z.optional(z.unknown()),
        recursion_limit: z.optional(z.unknown()),
      }),
    ),
  ),
  context: z.optional(z.nullable(z.record(z.string(), z.unknown(), { error: 'must be an object' }))),
  metadata: z.optional(z.nullable(z.record(z.string(), z.unknown(), { error: 'must be an object' }))),
  stream_mode: z.optional(z.union([streamMode, z.array(streamMode)])),
  checkpoint: z.optional(z.nullable(checkpoint)),
  checkpoint_id: z.optional(z.nullable(z.string({ error: 'must be a string' }))),
  multitask_strategy: z.optional(z.nullable(z.literal('reject', { error: 'only "reject" is served: a busy thread answers 409' }))),
  on_disconnect: z.optional(z.nullable(z.enum(['cancel', 'continue'], { error: 'must be "cancel" or "continue"' }))),
  if_not_exists: z.optional(z.nullable(z.enum(['reject', 'create'], { error: 'must be "reject" or "create"' }))),
  on_completion: z.optional(z.nullable(z.enum(['delete', 'keep'], { error: 'must be "delete" or "keep"' }))),
  durability: z.optional(z.nullable(z.enum(['sync', 'async', 'exit'], { error: 'must be "sync", "async" or "exit"' }))),
  checkpoint_during: z.optional(z.nullable(z.boolean({ error: 'must be true or false' }))),
  stream_subgraphs: z.optional(z.nullable(z.boolean({ error: 'must be true or false' }))),
});

/** Fields refused: what each would ask of a run that this API does not do. */
const REFUSED: Record<string, string> = {
  command: 'the agent never interrupts, so there is nothing to resume or update (send input.messages)',
  interrupt_before: 'the agent runs to its answer without interrupts',
  interrupt_after: 'the agent runs to its answer without interrupts',
  webhook: 'this API calls no webhooks; use runs/wait or runs/stream for the result',
  after_seconds: 'a run starts when it is asked for; there are no delayed runs',
};
/** Fields accepted that ask for nothing this API would do differently. */
const ACCEPTED = new Set([...Object.keys(body.shape), 'feedback_keys', 'langsmith_tracer', 'stream_resumable', 'strict_resume']);
/** Accepted only while they ask for nothing: named as ignored when they ask for more. */
const IGNORED_WHEN_SET = ['feedback_keys', 'langsmith_tracer', 'stream_resumable', 'strict_resume'];
/** `configurable` keys the run reads; others are named as ignored. */
const CONFIGURABLE = new Set(['model', 'thread_id', 'checkpoint_id', 'checkpoint_ns', 'checkpoint_map']);

function fieldName(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('') || 'body';
}

/** True for a value that asks for something (not null, false, empty). */
const isSet = (v: unknown) => v !== undefined && v !== null && v !== false && !(Array.isArray(v) && v.length === 0);

/**
 * Reads a run request. `stateless` runs (`/runs/…`) keep no thread: they refuse a checkpoint and
 * `on_completion: "keep"`.
 * @throws BadRequestError naming the field.
 */
export function parseRunRequest(input: Record<string, unknown>, options: { stateless: boolean }): RunRequest {
  for (const [name, why] of Object.entries(REFUSED)) {
    if (isSet(input[name]))
      throw new BadRequestError(`Invalid request: ${name} is not supported: ${why}.`, { param: name, code: 'unsupported_parameter' });
  }
  const result = body.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0] as z.core.$ZodIssue;
    const param = fieldName(issue.path);
    throw new BadRequestError(`Invalid request: ${param} ${issue.message}.`, { param });
  }
  const r = result.data;
  if (r.assistant_id !== GRAPH_ID && r.assistant_id !== ASSISTANT_ID) {
    throw new BadRequestError(
      `Invalid request: assistant_id "${r.assistant_id}" is not served here; this API serves the graph "${GRAPH_ID}" (assistant ${ASSISTANT_ID}).`,
      {
        param: 'assistant_id',
        code: 'assistant_not_found',
      },
    );
  }
  const ignored = Object.keys(input).filter((k) => !ACCEPTED.has(k) && !(k in REFUSED));
  for (const name of IGNORED_WHEN_SET) if (isSet(input[name])) ignored.push(name);
  const configurable = r.config?.configurable ?? {};
  for (const k of Object.keys(configurable)) if (!CONFIGURABLE.has(k)) ignored.push(`config.configurable.${k}`);
  if (r.config?.tags !== undefined) ignored.push('config.tags');
  if (r.config?.recursion_limit !== undefined) ignored.push('config.recursion_limit');
  for (const k of Object.keys(r.context ?? {})) if (k !== 'model') ignored.push(`context.${k}`);

  const checkpointId = r.checkpoint?.checkpoint_id ?? r.checkpoint_id ?? (configurable.checkpoint_id as string | undefined) ?? undefined;
  if (options.stateless && checkpointId !== undefined) {
    throw new BadRequestError(
      'Invalid request: checkpoint needs a thread; a stateless run (/runs/…) keeps none. Run it on /threads/{thread_id}/runs/….',
      {
        param: 'checkpoint',
      },
    );
  }
  if (options.stateless && r.on_completion === 'keep') {
    throw new BadRequestError(
      'Invalid request: on_completion "keep" is not supported: a stateless run keeps no thread. Create a thread and run on it.',
      {
        param: 'on_completion',
        code: 'unsupported_parameter',
      },
    );
  }
  const model = modelOf(r.context?.model, 'context.model') ?? modelOf(configurable.model, 'config.configurable.model');
  const messages = (r.input?.messages ?? []).map((m, i) => toMessage(m, `input.messages[${i}]`));
  if (messages.length === 0 && checkpointId === undefined) {
    throw new BadRequestError(
      'Invalid request: input.messages must hold the new message(s) of the turn (or send a checkpoint to run again from).',
      {
        param: 'input.messages',
      },
    );
  }
  const modes = r.stream_mode === undefined ? ['values' as const] : Array.isArray(r.stream_mode) ? r.stream_mode : [r.stream_mode];
  return {
    messages,
    streamModes: [...new Set(modes)],
    checkpointId: typeof checkpointId === 'string' && checkpointId !== '' ? checkpointId : undefined,
    model,
    onDisconnect: r.on_disconnect ?? 'cancel',
    ifNotExists: r.if_not_exists ?? 'reject',
    durability: r.durability ?? (r.checkpoint_during === false ? 'exit' : 'async'),
    metadata: r.metadata ?? {},
    ignored,
  };
}

function modelOf(value: unknown, param: string): { id: string; param: string } | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const parsed = modelId.safeParse(value);
  if (!parsed.success)
    throw new BadRequestError(`Invalid request: ${param} ${parsed.error.issues[0]?.message ?? 'is invalid'}.`, { param });
  return { id: parsed.data, param };
}

type InputMessage = z.infer<typeof message>;
type Block = z.infer<typeof block>;
type Part = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

const KINDS: Record<string, 'human' | 'ai' | 'system' | 'tool'> = {
  human: 'human',
  user: 'human',
  ai: 'ai',
  assistant: 'ai',
  system: 'system',
  developer: 'system',
  tool: 'tool',
};

/** One input message as a LangChain message. @throws BadRequestError naming the field. */
function toMessage(m: InputMessage, param: string): BaseMessage {
  const kind = KINDS[m.type ?? m.role ?? ''];
  if (kind === undefined) {
    throw new BadRequestError(
      `Invalid request: ${param}.type must be one of "human", "ai", "system", "tool" (or role "user", "assistant", "system", "tool").`,
      {
        param: `${param}.type`,
      },
    );
  }
  const parts = typeof m.content === 'string' ? m.content : m.content.map((b, i) => toPart(b, `${param}.content[${i}]`));
  if (kind === 'tool' && m.tool_call_id === undefined) {
    throw new BadRequestError(`Invalid request: ${param}.tool_call_id is required for a tool message.`, { param: `${param}.tool_call_id` });
  }
  return toLangChainMessage({ type: kind, content: parts, id: m.id, name: m.name, tool_calls: m.tool_calls, tool_call_id: m.tool_call_id });
}

/** A content block as a part the Hub reads. @throws BadRequestError for what it cannot read. */
function toPart(b: Block, param: string): Part {
  if (b.type === 'text') return b;
  if (b.type === 'image_url')
    return { type: 'image_url', image_url: typeof b.image_url === 'string' ? { url: b.image_url } : { url: b.image_url.url } };
  const mediaType = (b.mimeType ?? b.mime_type ?? '').toLowerCase();
  const base64 = b.data !== undefined && (b.source_type ?? 'base64') === 'base64';
  if (base64 && (!BASE64.test(b.data ?? '') || (b.data ?? '') === '')) {
    throw new BadRequestError(`Invalid request: ${param}.data must be base64 text.`, { param: `${param}.data` });
  }
  if (b.type === 'image') {
    if (base64) {
      if (!mediaType.startsWith('image/') || !MEDIA_TYPE.test(mediaType)) {
        throw new BadRequestError(`Invalid request: ${param}.mimeType must name an image type (image/png, image/jpeg, …).`, {
          param: `${param}.mimeType`,
        });
      }
      return { type: 'image_url', image_url: { url: `data:${mediaType};base64,${b.data}` } };
    }
    if (b.url !== undefined && /^(https?:|data:image\/)/.test(b.url)) return { type: 'image_url', image_url: { url: b.url } };
    throw new BadRequestError(`Invalid request: ${param} must carry base64 "data" with its "mimeType", or an http(s) "url".`, { param });
  }
  const name = typeof b.metadata?.filename === 'string' ? ` "${b.metadata.filename}"` : '';
  if (base64 && TEXT_FILE.test(mediaType)) {
    const text = Buffer.from(b.data ?? '', 'base64').toString('utf8');
    return { type: 'text', text: name === '' ? text : `File${name}:\n${text}` };
  }
  throw new BadRequestError(
    `Invalid request: ${param} is a file${name} of type ${mediaType || 'unknown'}, which the IONOS Hub cannot read. Send images as image blocks and text files (text/*, JSON, CSV) as base64 file blocks; paste other documents as text.`,
    { param, code: 'unsupported_file' },
  );
}
