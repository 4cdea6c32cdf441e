/**
 * One run of the LangGraph API: the agent graph on a thread (its state read from and saved to the
 * checkpointer step by step) or stateless (`/runs/…`, nothing kept), its events in the stream modes asked
 * for. Everything that can refuse the run happens in {@link beginRun}, before a stream's 200: the thread
 * (404; 409 while another run holds it), the model (400), the checkpoint to fork from (404) and the first
 * model call's budget reservation (429). Every model call is a call of the request's pipeline (budgets,
 * the consumer's share, the contract, the ledger, metrics), and {@link AgentThreadRun.execute} finishes it
 * with the run's one log line, and gives the thread back, however the run ends.
 */
import type { BaseMessage } from '@langchain/core/messages';
import { randomUUID } from 'node:crypto';
import { findHttpError, toAgentError } from '#shared/agent/errors.ts';
import { agentGraph } from '#shared/agent/graph.ts';
import { modelRunConfig, type AgentDeps } from '#shared/agent/run.ts';
import { BadRequestError, NotFoundError, RequestAbortedError, ServiceUnavailableError, toErrorBody, toStatus } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { textOf } from '#shared/message-text.ts';
import { recordThreadCreated, recordThreadRun, type RunOutcome } from '#shared/metrics.ts';
import { routeModel, type ModelRoute } from '#shared/models/route-model.ts';
import { modelCallEstimate, STUDIO_JOB } from '#shared/pipeline/estimate.ts';
import type { HubRequest } from '#shared/pipeline/hub-request.ts';
import { CHECKPOINT_BATCH_KEY, CheckpointBatch, type DynamoCheckpointer } from '#shared/threads/checkpointer.ts';
import { STREAM_MODES, type RunRequest } from '#shared/threads/run-request.ts';
import { checkpointThreadId, storeFailure, type ThreadRecord, type ThreadStatus, type ThreadStore } from '#shared/threads/thread-store.ts';
import { ASSISTANT_ID, GRAPH_ID, messageDict, valuesDict } from '#shared/threads/wire.ts';

/** What thread runs need beside the agent's dependencies, created once per container. */
export interface ThreadDeps extends AgentDeps {
  /** The thread records and checkpoints; null without a usage table (threads are then unavailable). */
  threads: { store: ThreadStore; checkpointer: DynamoCheckpointer } | null;
  /** The model of a run that names none on a thread that has none. */
  defaultModel: string;
}

/** Who runs where: the consumer, and the thread (none for a stateless run). */
export interface RunTarget {
  consumer: string;
  threadId?: string;
}

/** An event of the run's stream: its SSE event name and JSON data. */
export type RunEvent = { event: string; data: unknown };

/** The threads' store, or a 503 that says why there is none. */
export function threadsOf(deps: ThreadDeps): NonNullable<ThreadDeps['threads']> {
  if (deps.threads === null)
    throw new ServiceUnavailableError('Threads need the usage table (USAGE_TABLE), which this deployment has not configured.');
  return deps.threads;
}

// Metadata keys of a streamed message that say where it came from; the rest (configurable values) stay here.
const MESSAGE_METADATA = /^(langgraph_|ls_)|^(tags|name)$/;

/**
 * Checks everything that can refuse the run and takes the thread. The caller must `execute` the run it
 * gets (which gives the thread back) or `abandon` it.
 * @throws BadRequestError, NotFoundError, ConflictError, TooManyRequestsError (budgets).
 */
export async function beginRun(request: RunRequest, target: RunTarget, upstream: HubRequest, deps: ThreadDeps): Promise<AgentThreadRun> {
  const runId = randomUUID();
  checkInputLimits(request.messages, deps);
  let record: ThreadRecord | undefined;
  const threads = target.threadId === undefined ? undefined : threadsOf(deps);
  if (threads !== undefined && target.threadId !== undefined) {
    // Only the store is called here: any failure of it, its time limit included, is the documented 503.
    try {
      record = await claimThread(threads.store, target.consumer, target.threadId, runId, request.ifNotExists);
    } catch (err) {
      throw storeFailure(err, { timeouts: true }) ?? err;
    }
  }
  const run = new AgentThreadRun(runId, target, record, upstream, deps);
  try {
    const asked = request.model ?? (record?.model === undefined ? undefined : { id: record.model, param: "the thread's model" });
    run.route = routeModel(asked?.id ?? deps.defaultModel, asked?.param ?? 'AGENT_DEFAULT_MODEL', deps.config.studioModels);
    upstream.model = run.route.modelId;
    run.routed();
    if (request.checkpointId !== undefined && threads !== undefined && target.threadId !== undefined) {
      const config = {
        configurable: {
          thread_id: checkpointThreadId(target.consumer, target.threadId),
          checkpoint_ns: '',
          checkpoint_id: request.checkpointId,
        },
      };
      const found = await threads.checkpointer.getTuple(config).catch((err: unknown) => {
        throw storeFailure(err, { timeouts: true }) ?? err;
      });
      if (found === undefined) {
        throw new NotFoundError(`Checkpoint ${request.checkpointId} not found in thread ${target.threadId}.`, {
          code: 'checkpoint_not_found',
          param: 'checkpoint',
        });
      }
    }
    // The first model call is reserved before a stream starts, so a consumer over budget gets a real 429.
    const bytes = Buffer.byteLength(JSON.stringify(request.messages.map((m) => m.content)));
    await upstream.admitAhead(run.route.target === 'studio' ? STUDIO_JOB : modelCallEstimate(bytes, deps.config.agent.maxTokens));
  } catch (err) {
    await run.abandon(err);
    throw err;
  }
  return run;
}

/** Takes the thread for the run; with `if_not_exists: "create"` a missing thread is created first. */
async function claimThread(
  store: ThreadStore,
  consumer: string,
  threadId: string,
  runId: string,
  ifNotExists: 'reject' | 'create',
): Promise<ThreadRecord> {
  const metadata = { graph_id: GRAPH_ID, assistant_id: ASSISTANT_ID };
  try {
    return await store.claim(consumer, threadId, runId, metadata);
  } catch (err) {
    if (!(err instanceof NotFoundError) || ifNotExists !== 'create') throw err;
    await store.create(consumer, threadId, metadata, 'do_nothing');
    recordThreadCreated();
    return await store.claim(consumer, threadId, runId, metadata);
  }
}

/** The turn's new messages must fit the conversation limits by themselves (the state's older turns are trimmed instead). */
function checkInputLimits(messages: BaseMessage[], deps: ThreadDeps): void {
  const { maxMessages, maxChars } = deps.config.agent;
  if (messages.length > maxMessages) {
    throw new BadRequestError(
      `Invalid request: input.messages holds ${messages.length} messages, above this API's limit of ${maxMessages} per turn.`,
      {
        param: 'input.messages',
        code: 'too_many_messages',
      },
    );
  }
  const chars = messages.reduce((n, m) => n + textOf(m.content).length, 0);
  if (chars > maxChars) {
    throw new BadRequestError(
      `Invalid request: input.messages holds ${chars} characters of text, above this API's limit of ${maxChars}. Send a shorter message.`,
      {
        param: 'input.messages',
        code: 'conversation_too_long',
      },
    );
  }
}

/** A run that passed {@link beginRun}. */
export class AgentThreadRun {
  route: ModelRoute = { target: 'hub', modelId: 'invalid' };
  readonly runId: string;
  readonly target: RunTarget;
  readonly #record: ThreadRecord | undefined;
  readonly #upstream: HubRequest;
  readonly #deps: ThreadDeps;
  #released = false;
  #routed = false;

  constructor(runId: string, target: RunTarget, record: ThreadRecord | undefined, upstream: HubRequest, deps: ThreadDeps) {
    this.runId = runId;
    this.target = target;
    this.#record = record;
    this.#upstream = upstream;
    this.#deps = deps;
    upstream.fields.runId = runId;
    if (target.threadId !== undefined) upstream.fields.threadId = target.threadId;
  }

  /** The model is known (and valid): the thread keeps it for its next run. */
  routed(): void {
    this.#routed = true;
  }

  /** Where the run can be found, for `Content-Location`. */
  get location(): string {
    return this.target.threadId === undefined ? `/runs/${this.runId}` : `/threads/${this.target.threadId}/runs/${this.runId}`;
  }

  /** Gives up a run that will not execute (a later check refused it): the thread is given back as it was. */
  async abandon(err: unknown): Promise<void> {
    this.#upstream.finish(toStatus(err), 'error', err);
    await this.#release(this.#record?.status === 'error' ? 'error' : 'idle', undefined);
  }

  /**
   * Runs the graph to its end, sending each event of the asked stream modes to `emit` (errors as an
   * `error` event). @returns the final state values (as dicts), or the error the run ended with.
   */
  async execute(
    request: RunRequest,
    emit: (event: RunEvent) => void,
    options: { signal: AbortSignal; deadlineMs: number },
  ): Promise<{ values: Record<string, unknown> } | { error: unknown }> {
    const deps = this.#deps;
    const { consumer, threadId } = this.target;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), options.deadlineMs);
    const signal = AbortSignal.any([options.signal, deadline.signal]);
    const asked = new Set(request.streamModes);
    const streamMode = [...new Set(['values' as const, ...request.streamModes.map((m) => STREAM_MODES[m])])];
    let values: Record<string, unknown> = {};
    const batch = new CheckpointBatch();
    emit({ event: 'metadata', data: { run_id: this.runId, attempt: 1 } });
    try {
      const threads = threadId === undefined ? undefined : threadsOf(deps);
      const runConfig = await modelRunConfig(
        {
          route: this.route,
          upstream: this.#upstream,
          deadline: Date.now() + options.deadlineMs,
          // A thread's state grows turn by turn: the model is sent its most recent messages within the limits.
          window: threads === undefined ? undefined : { maxMessages: deps.config.agent.maxMessages, maxChars: deps.config.agent.maxChars },
        },
        deps,
      );
      const configurable: Record<string, unknown> = { ...runConfig.configurable };
      if (threads !== undefined && threadId !== undefined) {
        configurable.thread_id = checkpointThreadId(consumer, threadId);
        configurable[CHECKPOINT_BATCH_KEY] = batch;
        // A thread that never stored a state has none to read: the run starts without asking the store.
        batch.knownEmpty = this.#record?.hasState !== true && request.checkpointId === undefined;
        if (request.checkpointId !== undefined) Object.assign(configurable, { checkpoint_ns: '', checkpoint_id: request.checkpointId });
      }
      const graph = agentGraph(threads?.checkpointer);
      const input = request.messages.length === 0 ? null : { messages: request.messages };
      const stream = await graph.stream(input, {
        configurable,
        signal,
        recursionLimit: deps.config.agent.recursionLimit,
        streamMode,
        durability: request.durability,
      });
      for await (const [mode, data] of stream as AsyncIterable<[string, unknown]>) {
        if (mode === 'values') {
          values = valuesDict(data);
          if (asked.has('values')) emit({ event: 'values', data: values });
        } else if (mode === 'updates') {
          const updates = Object.entries(data as Record<string, unknown>).map(([node, update]) => [node, valuesDict(update)]);
          emit({ event: 'updates', data: Object.fromEntries(updates) });
        } else if (mode === 'messages') {
          const [chunk, meta] = data as [BaseMessage, Record<string, unknown>];
          const kept = Object.fromEntries(Object.entries(meta).filter(([k]) => MESSAGE_METADATA.test(k)));
          emit({
            event: 'messages',
            data: [
              messageDict(chunk),
              { ...kept, run_id: this.runId, thread_id: threadId, graph_id: GRAPH_ID, assistant_id: ASSISTANT_ID },
            ],
          });
        } else if (mode === 'custom') {
          emit({ event: 'custom', data });
        }
      }
      const answer = (values.messages as { response_metadata?: { finish_reason?: unknown } }[] | undefined)?.at(-1);
      // The turn is committed, and the thread given back, before the run counts as complete (and before a wait answers).
      await this.#commit(batch, 'idle', values);
      this.#upstream.fields.finishReason = answer?.response_metadata?.finish_reason;
      this.#upstream.finish(200, 'complete');
      recordThreadRun('complete', threadId === undefined ? 'stateless' : 'thread');
      return { values };
    } catch (caught) {
      // The client gone (on_disconnect "cancel") is a cancelled run, whatever layer noticed it first.
      const err =
        options.signal.aborted && !deadline.signal.aborted
          ? new RequestAbortedError(caught)
          : (storeFailure(caught) ??
            toAgentError(findHttpError(caught) ?? caught, { deadline: deadline.signal, deadlineMs: options.deadlineMs }));
      const status = toStatus(err);
      const cancelled = status === 499;
      this.#upstream.finish(status, cancelled ? 'aborted' : 'error', err);
      const outcome: RunOutcome = cancelled ? 'cancelled' : 'error';
      recordThreadRun(outcome, threadId === undefined ? 'stateless' : 'thread');
      const { message, type, code } = toErrorBody(err).error;
      // What the run did before it failed is kept (the new messages at least), as LangGraph saves each step.
      await this.#commit(batch, cancelled ? 'idle' : 'error', undefined).catch((commitErr: unknown) => {
        logger.error('thread checkpoints lost', { threadId, runId: this.runId, error: commitErr as Error });
        return this.#release(cancelled ? 'idle' : 'error', undefined);
      });
      // LangGraph's error event is {error, message}; the envelope's type rides along for clients that read it.
      emit({ event: 'error', data: { error: code ?? type, message, type } });
      return { error: err };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stores the run's checkpoints with the thread's record given back in the same batch (one call for a
   * typical turn); with nothing to store, gives the thread back alone. The record can be written without
   * its claim's condition: no other run can hold the thread before this claim lapses, which is after the
   * function's time.
   */
  async #commit(batch: CheckpointBatch, status: ThreadStatus, values: Record<string, unknown> | undefined): Promise<void> {
    const { threadId } = this.target;
    if (batch.items.size === 0 || threadId === undefined || this.#record === undefined || this.#released) {
      await this.#release(status, values);
      return;
    }
    const record = threadsOf(this.#deps).store.releasedItem(this.runId, this.#end(status, values));
    await threadsOf(this.#deps).checkpointer.flush(batch, record === undefined ? [] : [record]);
    this.#released = record !== undefined;
    await this.#release(status, values); // a no-op once the record was in the batch
  }

  #end(status: ThreadStatus, values: Record<string, unknown> | undefined) {
    const first = (values?.messages as Record<string, unknown>[] | undefined)?.[0];
    return {
      status,
      model: this.#routed ? this.route.modelId : this.#record?.model,
      title: this.#record?.title === undefined && first !== undefined ? titleOf(first) : undefined,
    };
  }

  /** Gives the thread back (once), with its first message as its title when it had none. */
  async #release(status: ThreadStatus, values: Record<string, unknown> | undefined): Promise<void> {
    const { consumer, threadId } = this.target;
    if (this.#released || threadId === undefined || this.#record === undefined) return;
    this.#released = true;
    try {
      await threadsOf(this.#deps).store.release(consumer, threadId, this.runId, this.#end(status, values));
    } catch (err) {
      // The run's state is saved; the thread stays marked busy until its claim lapses (the function's time).
      logger.error('thread release failed', { threadId, runId: this.runId, error: err as Error });
    }
  }
}

/** Characters of a thread's first message kept as its title. */
const TITLE_CHARS = 500;

/** The first message as a title: its text only (no images), cut to {@link TITLE_CHARS}. */
function titleOf(message: Record<string, unknown>): Record<string, unknown> {
  return { type: message.type, id: message.id, content: textOf(message.content).slice(0, TITLE_CHARS) };
}
