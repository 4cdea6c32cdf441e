/**
 * The LangGraph Platform HTTP API, the subset agent UIs use (`@langchain/langgraph-sdk`'s `Client` and its
 * React `useStream`, LangChain's Agent Chat UI): the server's info, the one assistant, threads (create,
 * read, search, delete, state, history) and runs (streamed or waited for, on a thread or stateless).
 * Each operation reads its request at the edge and answers in the API's shapes (`wire.ts`); runs are
 * `thread-run.ts`'s. Errors are the API's one envelope, like every other route.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { Readable } from 'node:stream';
import { validate as isUuid, v4 as uuidv4 } from 'uuid';
import * as z from 'zod/mini';
import { agentGraph } from '#shared/agent/graph.ts';
import { BadRequestError, NotFoundError } from '#shared/errors.ts';
import { readJsonObject } from '#shared/http/event.ts';
import type { HandlerResult } from '#shared/http/handler.ts';
import { ignoredHeader, namedIgnored } from '#shared/http/ignored-parameters.ts';
import { jsonResponse } from '#shared/http/json-response.ts';
import { afterResponse } from '#shared/http/after-response.ts';
import { recordIgnoredParameters, recordThreadCreated } from '#shared/metrics.ts';
import type { HubRequest } from '#shared/pipeline/hub-request.ts';
import type { Operation } from '#shared/routes.ts';
import { parseRunRequest } from '#shared/threads/run-request.ts';
import { beginRun, threadsOf, type RunEvent, type ThreadDeps } from '#shared/threads/thread-run.ts';
import { checkpointThreadId, storeFailure, type ThreadStatus } from '#shared/threads/thread-store.ts';
import { ASSISTANT_ID, assistantDict, emptyState, GRAPH_ID, stateDict, threadDict, valuesDict } from '#shared/threads/wire.ts';

/** What one LangGraph API request brings. */
export interface ThreadCall {
  operation: Operation;
  event: APIGatewayProxyEvent;
  consumer: string;
  /** Begins the request's pipeline to IONOS with the signal its calls abort on (only runs reach IONOS). */
  upstream: (signal: AbortSignal) => HubRequest;
  /** Aborts when the client leaves or the function is about to time out. */
  signal: AbortSignal;
  /** Aborts only when the function is about to time out. */
  timeoutSignal: AbortSignal;
  deadlineMs: number;
}

/** Largest thread metadata, as JSON (it is listed by every search). */
const MAX_METADATA_BYTES = 16_384;
/** Most threads or states one search or history answer lists. */
const MAX_LIST = 1_000;

/** What this API refuses, by operation: what Lambda cannot do here, and what to do instead. */
const UNSUPPORTED: Record<string, string> = {
  'POST /threads/{thread_id}/runs':
    'Background runs are not supported: a Lambda function answers the request it was called for. Use /threads/{thread_id}/runs/stream or /runs/wait.',
  'POST /runs':
    'Background runs are not supported: a Lambda function answers the request it was called for. Use /runs/stream or /runs/wait.',
  'GET /threads/{thread_id}/runs/{run_id}/stream':
    "Joining a run's stream is not supported (streams are not resumable here). Read the thread's state or history once the run is done.",
  'POST /runs/crons': 'Crons are not supported by this API.',
  'POST /threads/{thread_id}/runs/crons': 'Crons are not supported by this API.',
  'ANY /store/{path+}': 'The store API is not supported by this API; threads keep the conversation.',
};

/**
 * Answers one request of the LangGraph API. A failure of the thread store (down, slow, throttled) is a 503
 * that says so; nothing half-done is answered as done (a run's turn is committed before its answer ends).
 */
export async function threadsApi(call: ThreadCall, deps: ThreadDeps): Promise<HandlerResult> {
  try {
    return await operation(call, deps);
  } catch (err) {
    throw storeFailure(err, { timeouts: call.operation !== 'run-stream' && call.operation !== 'run-wait' }) ?? err;
  }
}

async function operation(call: ThreadCall, deps: ThreadDeps): Promise<HandlerResult> {
  const { event, consumer } = call;
  switch (call.operation) {
    case 'ok':
      return jsonResponse(200, { ok: true });
    case 'info':
      return jsonResponse(200, {
        version: '1',
        flags: { assistants: true, crons: false, langsmith: false, langsmith_tracing_replicas: false },
        host: { kind: 'self-hosted', project_id: null, revision_id: null, tenant_id: null },
      });
    case 'assistants-search':
      return jsonResponse(200, searchAssistants(readJsonBody(event, deps), deps));
    case 'assistant':
      return jsonResponse(200, assistantOf(event.pathParameters?.assistant_id ?? '', deps));
    case 'thread-create':
      return jsonResponse(200, await createThread(consumer, readJsonBody(event, deps), deps));
    case 'thread-search':
      return jsonResponse(200, await searchThreads(consumer, readJsonBody(event, deps), deps));
    case 'thread':
      if (event.httpMethod === 'DELETE') return deleteThread(consumer, threadIdOf(event), deps);
      if (event.httpMethod === 'PATCH')
        return jsonResponse(200, await updateThread(consumer, threadIdOf(event), readJsonBody(event, deps), deps));
      return jsonResponse(200, await readThread(consumer, threadIdOf(event), deps));
    case 'thread-state':
      return jsonResponse(200, await readState(consumer, threadIdOf(event), event.pathParameters?.checkpoint_id, deps));
    case 'thread-history':
      return jsonResponse(200, await readHistory(consumer, threadIdOf(event), readJsonBody(event, deps, true), deps));
    case 'run-stream':
    case 'run-wait':
      return run(call, deps);
    case 'unsupported': {
      const what =
        UNSUPPORTED[`${event.httpMethod} ${event.resource}`] ??
        UNSUPPORTED[`ANY ${event.resource}`] ??
        'This operation is not supported by this API.';
      throw new BadRequestError(what, { code: 'unsupported_operation' });
    }
    default:
      throw new NotFoundError(`No such operation: ${call.operation}.`);
  }
}

function readJsonBody(event: APIGatewayProxyEvent, deps: ThreadDeps, optional = false): Record<string, unknown> {
  if (optional && (event.body ?? '').trim() === '') return {};
  return readJsonObject(event, deps.config.maxRequestBytes);
}

/** The thread id of the path. @throws BadRequestError unless it is a UUID (as the API's ids are). */
function threadIdOf(event: APIGatewayProxyEvent): string {
  const id = event.pathParameters?.thread_id ?? '';
  if (!isUuid(id)) throw new BadRequestError(`Invalid thread_id "${id.slice(0, 64)}": thread ids are UUIDs.`, { param: 'thread_id' });
  return id.toLowerCase();
}

/** Reads a body with a schema. @throws BadRequestError naming the field. */
function parse<T>(schema: z.ZodMiniType<T>, input: Record<string, unknown>): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  const param = issue.path.map(String).join('.') || 'body';
  throw new BadRequestError(`Invalid request: ${param} ${issue.message}.`, { param });
}

/** Reads a body with an object schema, counting the fields it does not know as ignored (`IgnoredParameters`). */
function parseCounting<T>(schema: z.ZodMiniType<T> & { shape: object }, body: Record<string, unknown>): T {
  const request = parse(schema, body);
  const ignored = Object.keys(body).filter((k) => !(k in schema.shape));
  if (ignored.length > 0) recordIgnoredParameters(ignored);
  return request;
}

const metadata = z.optional(
  z.nullable(
    z
      .record(z.string(), z.unknown(), { error: 'must be an object' })
      .check(
        z.refine((m) => Buffer.byteLength(JSON.stringify(m)) <= MAX_METADATA_BYTES, `must be at most ${MAX_METADATA_BYTES} bytes as JSON`),
      ),
  ),
);
const limit = (fallback: number) =>
  z._default(
    z
      .number({ error: 'must be a number' })
      .check(z.int('must be a whole number'), z.gte(1, 'must be at least 1'), z.lte(MAX_LIST, `must be at most ${MAX_LIST}`)),
    fallback,
  );
const offset = z._default(
  z.number({ error: 'must be a number' }).check(z.int('must be a whole number'), z.gte(0, 'must be at least 0')),
  0,
);

// --- assistants ---

const assistantSearch = z.object({ graph_id: z.optional(z.nullable(z.string())), metadata, limit: limit(10), offset });

function searchAssistants(body: Record<string, unknown>, deps: ThreadDeps): unknown[] {
  const query = parse(assistantSearch, body);
  const assistant = assistantDict(deps.defaultModel);
  const matches =
    (query.graph_id == null || query.graph_id === GRAPH_ID) &&
    Object.entries(query.metadata ?? {}).every(
      ([k, v]) => JSON.stringify((assistant.metadata as Record<string, unknown>)[k]) === JSON.stringify(v),
    );
  return matches && query.offset === 0 ? [assistant] : [];
}

function assistantOf(id: string, deps: ThreadDeps): unknown {
  if (id !== ASSISTANT_ID && id !== GRAPH_ID)
    throw new NotFoundError(`Assistant ${id.slice(0, 64)} not found; this API serves "${GRAPH_ID}" (${ASSISTANT_ID}).`, {
      code: 'assistant_not_found',
    });
  return assistantDict(deps.defaultModel);
}

// --- threads ---

const threadCreate = z.object({
  thread_id: z.optional(z.nullable(z.string({ error: 'must be a UUID' }).check(z.refine(isUuid, 'must be a UUID')))),
  metadata,
  if_exists: z.optional(z.nullable(z.enum(['raise', 'do_nothing'], { error: 'must be "raise" or "do_nothing"' }))),
  supersteps: z.optional(z.nullable(z.array(z.unknown()).check(z.maxLength(0, 'is not supported: start a thread with a run')))),
});

async function createThread(consumer: string, body: Record<string, unknown>, deps: ThreadDeps): Promise<unknown> {
  const request = parseCounting(threadCreate, body);
  const threadId = (request.thread_id ?? uuidv4()).toLowerCase();
  const meta = Object.fromEntries(Object.entries(request.metadata ?? {}).filter(([, v]) => v !== undefined && v !== null));
  const record = await threadsOf(deps).store.create(consumer, threadId, meta, request.if_exists ?? 'raise');
  if (record.createdAt === record.updatedAt) recordThreadCreated();
  return threadDict(record);
}

const threadSearch = z.object({
  metadata,
  ids: z.optional(
    z.nullable(z.array(z.string({ error: 'must be a thread id' })).check(z.maxLength(MAX_LIST, `must list at most ${MAX_LIST} ids`))),
  ),
  status: z.optional(z.nullable(z.enum(['idle', 'busy', 'interrupted', 'error'], { error: 'must be idle, busy, interrupted or error' }))),
  limit: limit(10),
  offset,
  sort_by: z.optional(
    z.nullable(
      z.enum(['thread_id', 'created_at', 'updated_at', 'status'], { error: 'must be thread_id, created_at, updated_at or status' }),
    ),
  ),
  sort_order: z.optional(z.nullable(z.enum(['asc', 'desc'], { error: 'must be "asc" or "desc"' }))),
  values: z.optional(
    z.nullable(
      z
        .record(z.string(), z.unknown())
        .check(z.refine((v) => Object.keys(v).length === 0, 'filters are not supported: search by metadata')),
    ),
  ),
  select: z.optional(z.unknown()),
  extract: z.optional(z.unknown()),
});

async function searchThreads(consumer: string, body: Record<string, unknown>, deps: ThreadDeps): Promise<unknown[]> {
  const q = parse(threadSearch, body);
  const records = await threadsOf(deps).store.search(consumer, {
    metadata: q.metadata ?? undefined,
    ids: q.ids?.map((id) => id.toLowerCase()),
    status: (q.status ?? undefined) as ThreadStatus | undefined,
    limit: q.limit,
    offset: q.offset,
    sortBy: q.sort_by ?? 'created_at',
    sortOrder: q.sort_order ?? 'desc',
  });
  return records.map((r) => threadDict(r));
}

async function readThread(consumer: string, threadId: string, deps: ThreadDeps): Promise<unknown> {
  const record = await threadsOf(deps).store.get(consumer, threadId);
  return threadDict(record, await latestValues(consumer, threadId, deps));
}

/** The values of the thread's latest state (none before its first run). */
async function latestValues(consumer: string, threadId: string, deps: ThreadDeps): Promise<Record<string, unknown>> {
  const configurable = { thread_id: checkpointThreadId(consumer, threadId) };
  return valuesDict((await agentGraph(threadsOf(deps).checkpointer).getState({ configurable })).values);
}

const threadUpdate = z.object({
  metadata,
  // One lifetime for every thread (THREAD_TTL_DAYS), its checkpoints' included: a thread's own is not kept.
  ttl: z.optional(
    z.nullable(z.unknown().check(z.refine((v) => v == null, 'is not supported: threads expire THREAD_TTL_DAYS after their last use'))),
  ),
});

/** `PATCH /threads/{id}`: merges the metadata sent into the thread's. @returns the thread, as `GET` does. */
async function updateThread(consumer: string, threadId: string, body: Record<string, unknown>, deps: ThreadDeps): Promise<unknown> {
  const request = parseCounting(threadUpdate, body);
  const record = await threadsOf(deps).store.update(consumer, threadId, request.metadata ?? {}, MAX_METADATA_BYTES);
  return threadDict(record, await latestValues(consumer, threadId, deps));
}

async function deleteThread(consumer: string, threadId: string, deps: ThreadDeps): Promise<HandlerResult> {
  const threads = threadsOf(deps);
  await threads.store.delete(consumer, threadId);
  await threads.checkpointer.deleteThread(checkpointThreadId(consumer, threadId));
  return { statusCode: 204, headers: {}, body: '' };
}

async function readState(consumer: string, threadId: string, checkpointId: string | undefined, deps: ThreadDeps): Promise<unknown> {
  const threads = threadsOf(deps);
  await threads.store.get(consumer, threadId); // the consumer's thread, or 404
  const configurable: Record<string, unknown> = { thread_id: checkpointThreadId(consumer, threadId) };
  if (checkpointId !== undefined) Object.assign(configurable, { checkpoint_ns: '', checkpoint_id: checkpointId });
  const state = await agentGraph(threads.checkpointer).getState({ configurable });
  if (state.config.configurable?.checkpoint_id === undefined) {
    if (checkpointId !== undefined)
      throw new NotFoundError(`Checkpoint ${checkpointId.slice(0, 64)} not found in thread ${threadId}.`, { code: 'checkpoint_not_found' });
    return emptyState();
  }
  return stateDict(state, threadId);
}

const checkpointRef = z.union([
  z.string(),
  z.object({
    checkpoint_id: z.optional(z.nullable(z.string())),
    configurable: z.optional(z.nullable(z.object({ checkpoint_id: z.optional(z.nullable(z.string())) }))),
  }),
]);
const history = z.object({
  limit: limit(10),
  before: z.optional(z.nullable(checkpointRef)),
  checkpoint: z.optional(z.nullable(checkpointRef)),
  metadata,
  select: z.optional(z.unknown()),
});

const checkpointIdOf = (ref: z.infer<typeof checkpointRef> | null | undefined) =>
  (typeof ref === 'string' ? ref : (ref?.checkpoint_id ?? ref?.configurable?.checkpoint_id)) ?? undefined;

async function readHistory(consumer: string, threadId: string, body: Record<string, unknown>, deps: ThreadDeps): Promise<unknown[]> {
  const q = parse(history, body);
  const threads = threadsOf(deps);
  await threads.store.get(consumer, threadId);
  const thread = checkpointThreadId(consumer, threadId);
  const before = checkpointIdOf(q.before);
  const from = checkpointIdOf(q.checkpoint);
  const configurable: Record<string, unknown> = { thread_id: thread, checkpoint_ns: '' };
  if (from !== undefined) configurable.checkpoint_id = from;
  const states: unknown[] = [];
  const options = {
    limit: q.limit,
    before: before === undefined ? undefined : { configurable: { thread_id: thread, checkpoint_ns: '', checkpoint_id: before } },
    filter: q.metadata ?? undefined,
  };
  for await (const state of agentGraph(threads.checkpointer).getStateHistory({ configurable }, options))
    states.push(stateDict(state, threadId));
  return states;
}

// --- runs ---

/** SSE framing of the LangGraph API: the event's name, then its JSON data. */
const frame = ({ event, data }: RunEvent) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

async function run(call: ThreadCall, deps: ThreadDeps): Promise<HandlerResult> {
  const { event, consumer } = call;
  const threadId = event.resource.startsWith('/threads/') ? threadIdOf(event) : undefined;
  const request = parseRunRequest(readJsonObject(event, deps.config.maxRequestBytes), { stateless: threadId === undefined });
  // With `continue`, the run goes on when the client leaves, until it ends or the function's time is up.
  const signal = request.onDisconnect === 'continue' ? call.timeoutSignal : call.signal;
  const upstream = call.upstream(signal);
  if (request.ignored.length > 0) {
    upstream.fields.ignoredParameters = namedIgnored(request.ignored);
    recordIgnoredParameters(request.ignored);
  }
  const agentRun = await beginRun(request, { consumer, threadId }, upstream, deps);
  const headers = { 'content-location': agentRun.location, ...ignoredHeader(request.ignored) };
  const options = { signal, deadlineMs: call.deadlineMs };

  if (call.operation === 'run-wait') {
    const result = await agentRun.execute(request, () => {}, options);
    if ('error' in result) throw result.error;
    return jsonResponse(200, result.values, headers);
  }
  const body = new Readable({ read() {} });
  const done = agentRun.execute(
    request,
    (e) => {
      if (!body.destroyed) body.push(frame(e));
    },
    options,
  );
  void done.finally(() => {
    if (!body.destroyed) body.push(null);
  });
  // The invocation lasts until the run has ended and saved its state, the client there or not.
  afterResponse(done);
  return {
    statusCode: 200,
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no', ...headers },
    body,
  };
}
