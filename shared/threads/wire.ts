/**
 * The LangGraph API's JSON shapes, built from LangGraph.js objects: messages as the SDK's dicts
 * (`{"type":"human","content":…,"id":…}`, what `message.toDict()` holds, flattened), state values, thread
 * states of `/state` and `/history`, threads and the one assistant. The checkpointer's id of a thread
 * (`<consumer>/<thread>`) never leaves: every checkpoint and metadata is written with the public thread id.
 */
import { AIMessageChunk, isBaseMessage, type BaseMessage } from '@langchain/core/messages';
import type { StateSnapshot } from '@langchain/langgraph';
import { v5 as uuidv5 } from 'uuid';
import type { ThreadRecord } from '#shared/threads/thread-store.ts';

/** The one graph this API serves, under LangGraph's default graph id. */
export const GRAPH_ID = 'agent';
/** The default assistant's id, as LangGraph derives it from the graph id (uuid5 in its graph namespace). */
export const ASSISTANT_ID = uuidv5(GRAPH_ID, '6ba7b821-9dad-11d1-80b4-00c04fd430c8');
/** When this API's assistant was defined (its `created_at`; it has one version). */
const ASSISTANT_CREATED = '2026-12-01T00:00:00.000Z';

/** A message as the SDK reads it. A streamed chunk keeps its class name as type, as LangGraph's server sends it. */
export function messageDict(message: BaseMessage): Record<string, unknown> {
  const { data } = message.toDict();
  return { ...data, type: AIMessageChunk.isInstance(message) ? 'AIMessageChunk' : message.getType() };
}

/** State values with their messages as dicts (other values as they are). */
export function valuesDict(values: unknown): Record<string, unknown> {
  if (values === null || typeof values !== 'object') return {};
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, Array.isArray(v) ? v.map((m: unknown) => (isBaseMessage(m) ? messageDict(m) : m)) : v]),
  );
}

/** A checkpoint as the API names it. */
export interface CheckpointRef {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
  checkpoint_map: null;
}

function checkpointOf(config: StateSnapshot['config'] | undefined, threadId: string): CheckpointRef | null {
  const c = config?.configurable;
  if (typeof c?.checkpoint_id !== 'string') return null;
  return {
    thread_id: threadId,
    checkpoint_ns: typeof c.checkpoint_ns === 'string' ? c.checkpoint_ns : '',
    checkpoint_id: c.checkpoint_id,
    checkpoint_map: null,
  };
}

/** A checkpoint's metadata with the public thread id. */
function metadataOf(metadata: StateSnapshot['metadata'], threadId: string): Record<string, unknown> {
  return { ...metadata, thread_id: threadId };
}

/** A thread state (one entry of `/history`, or `/state`). */
export function stateDict(snapshot: StateSnapshot, threadId: string): Record<string, unknown> {
  return {
    values: valuesDict(snapshot.values),
    next: snapshot.next,
    tasks: snapshot.tasks.map((t) => ({
      id: t.id,
      name: t.name,
      error: t.error === undefined ? null : String(t.error),
      interrupts: t.interrupts,
      checkpoint: null,
      state: null,
      ...(t.result === undefined ? {} : { result: valuesDict(t.result) }),
    })),
    checkpoint: checkpointOf(snapshot.config, threadId),
    parent_checkpoint: checkpointOf(snapshot.parentConfig, threadId),
    metadata: metadataOf(snapshot.metadata, threadId),
    created_at: snapshot.createdAt ?? null,
  };
}

/** The state of a thread that has never run. */
export function emptyState(): Record<string, unknown> {
  return { values: {}, next: [], tasks: [], checkpoint: null, parent_checkpoint: null, metadata: {}, created_at: null };
}

/**
 * A thread. `values` is the latest state when it was read (`GET /threads/{id}`); in search results it holds
 * only the thread's first message (`{"messages":[first]}`), what UIs list threads by, so a search reads no
 * thread's state.
 */
export function threadDict(record: ThreadRecord, values?: Record<string, unknown>): Record<string, unknown> {
  return {
    thread_id: record.threadId,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    state_updated_at: record.updatedAt,
    metadata: record.metadata,
    status: record.status,
    values: values ?? (record.title === undefined ? {} : { messages: [record.title] }),
    interrupts: {},
    config: record.model === undefined ? {} : { configurable: { model: record.model } },
    error: null,
  };
}

/** The one assistant: the agent graph with this deployment's settings. */
export function assistantDict(defaultModel: string): Record<string, unknown> {
  return {
    assistant_id: ASSISTANT_ID,
    graph_id: GRAPH_ID,
    name: GRAPH_ID,
    description:
      'The ReAct agent over the IONOS AI Model Hub, with web search. Pick the model with context.model (a Hub id or a Studio UUID).',
    config: { configurable: {} },
    context: { model: defaultModel },
    metadata: { created_by: 'system' },
    version: 1,
    created_at: ASSISTANT_CREATED,
    updated_at: ASSISTANT_CREATED,
  };
}
