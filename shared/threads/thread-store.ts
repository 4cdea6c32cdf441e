/**
 * Thread records, in the usage table beside their checkpoints (see `checkpointer.ts`). A thread belongs to
 * the consumer who created it, by key: its record is `pk = TH#<consumer>, sk = <thread id>`, so another
 * consumer's thread is simply not there (404, and absent from search), and its checkpoints live under an
 * id only this API knows (`<consumer>/<thread id>`), so two consumers' threads of the same id never meet.
 *
 * The record holds what the LangGraph API shows of a thread without reading its state: metadata, status,
 * times, the model the thread runs on, and its first message (the title UIs list threads by). A run takes
 * the thread with one conditional write (`busyUntil` in the future: busy; a crashed run's claim lapses
 * after the function's time) and gives it back with another. Records expire `ttlDays` after the thread
 * was last used (TTL), as its checkpoints do.
 */
import type { AttributeValue, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { BadRequestError, ConflictError, HttpError, NotFoundError, ServiceUnavailableError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { itemAtFailure, type UsageStore } from '#shared/usage/store.ts';

type Item = Record<string, AttributeValue>;

/** A thread's status, as the LangGraph API names them. */
export type ThreadStatus = 'idle' | 'busy' | 'error' | 'interrupted';

/** One thread record. */
export interface ThreadRecord {
  threadId: string;
  createdAt: string;
  updatedAt: string;
  metadata: Record<string, unknown>;
  status: ThreadStatus;
  /** The run holding the thread, while busy. */
  runId?: string;
  /** The model id the thread's last run used (its next run's default). */
  model?: string;
  /** The thread's first message, in the API's message shape. */
  title?: Record<string, unknown>;
  /** A run has stored a state (checkpoints) for it. */
  hasState?: boolean;
}

/** The search of one consumer's threads. */
export interface ThreadQuery {
  metadata?: Record<string, unknown>;
  ids?: string[];
  status?: ThreadStatus;
  limit: number;
  offset: number;
  sortBy: 'thread_id' | 'created_at' | 'updated_at' | 'status';
  sortOrder: 'asc' | 'desc';
}

/** Options of the store. */
export interface ThreadStoreOptions {
  /** Days an unused thread is kept. */
  ttlDays: number;
  /** How long a run may hold a thread before its claim lapses (the function's timeout). */
  runSeconds: number;
  /** Time limit of one store call. */
  callMs?: number;
}

/** Threads a search reads at most (its result is sorted and paged in memory). */
export const MAX_SEARCHED_THREADS = 5_000;

/** No run holds the thread: none took it, or its claim lapsed (`:now` in epoch seconds). */
const NOT_HELD = '(attribute_not_exists(busyUntil) OR busyUntil < :now)';

const recordKey = (consumer: string, threadId: string) => ({ pk: { S: `TH#${encodeURIComponent(consumer)}` }, sk: { S: threadId } });

/** The id a consumer's thread has in the checkpointer. */
export const checkpointThreadId = (consumer: string, threadId: string) => `${encodeURIComponent(consumer)}/${threadId}`;

function toRecord(item: Item): ThreadRecord {
  const busyUntil = Number(item.busyUntil?.N ?? 0);
  const stored = (item.status?.S ?? 'idle') as ThreadStatus;
  // A claim past its time was a run that never gave the thread back (the function was stopped).
  const status = stored === 'busy' && busyUntil * 1000 <= Date.now() ? 'error' : stored;
  return {
    threadId: item.sk?.S ?? '',
    createdAt: item.createdAt?.S ?? '',
    updatedAt: item.updatedAt?.S ?? '',
    metadata: JSON.parse(item.metadata?.S ?? '{}') as Record<string, unknown>,
    status,
    runId: status === 'busy' ? item.runId?.S : undefined,
    model: item.model?.S,
    title: item.title?.S === undefined ? undefined : (JSON.parse(item.title.S) as Record<string, unknown>),
    hasState: item.hasState?.BOOL === true,
  };
}

/** The thread records of the usage table; see the module comment. */
export class ThreadStore {
  readonly #store: UsageStore;
  readonly #options: Required<ThreadStoreOptions>;

  constructor(store: UsageStore, options: ThreadStoreOptions) {
    this.#store = store;
    this.#options = { callMs: 2_000, ...options };
  }

  #expiresAt(): AttributeValue {
    return { N: String(Math.floor(Date.now() / 1000) + Math.round(this.#options.ttlDays * 86_400)) };
  }

  async #send<T>(command: (sdk: Awaited<ReturnType<UsageStore['connect']>>['sdk']) => object): Promise<T> {
    const { db, sdk } = await this.#store.connect();
    return (await db.send(command(sdk) as never, { abortSignal: AbortSignal.timeout(this.#options.callMs) })) as T;
  }

  /** One UpdateItem of a thread record. @returns the record after it (`ALL_NEW` unless `input` says otherwise). */
  async #updateRecord(key: Item, input: Omit<UpdateItemCommandInput, 'TableName' | 'Key'>): Promise<Item> {
    const answer = await this.#send<{ Attributes?: Item }>(
      (sdk) => new sdk.UpdateItemCommand({ TableName: this.#store.tableName, Key: key, ReturnValues: 'ALL_NEW', ...input }),
    );
    return answer.Attributes ?? {};
  }

  /**
   * Creates a thread. @returns the record, or with `ifExists: 'do_nothing'` the existing one.
   * @throws ConflictError when the id is taken and `ifExists` is `raise`.
   */
  async create(
    consumer: string,
    threadId: string,
    metadata: Record<string, unknown>,
    ifExists: 'raise' | 'do_nothing',
  ): Promise<ThreadRecord> {
    const now = new Date().toISOString();
    const key = recordKey(consumer, threadId);
    const item: Item = {
      ...key,
      createdAt: { S: now },
      updatedAt: { S: now },
      metadata: { S: JSON.stringify(metadata) },
      status: { S: 'idle' },
      expiresAt: this.#expiresAt(),
    };
    try {
      await this.#send(
        (sdk) =>
          new sdk.PutItemCommand({
            TableName: this.#store.tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
      );
      return toRecord(item);
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      const existing = await itemAtFailure(this.#store, key, err as { Item?: Item }, this.#options.callMs);
      if (ifExists === 'do_nothing' && existing !== undefined) return toRecord(existing);
      throw new ConflictError(`Thread ${threadId} already exists. Send "if_exists": "do_nothing" to get it instead.`, {
        code: 'thread_exists',
        param: 'thread_id',
      });
    }
  }

  /** The consumer's thread. @throws NotFoundError when it has none of that id. */
  async get(consumer: string, threadId: string): Promise<ThreadRecord> {
    const answer = await this.#send<{ Item?: Item }>(
      (sdk) => new sdk.GetItemCommand({ TableName: this.#store.tableName, Key: recordKey(consumer, threadId), ConsistentRead: true }),
    );
    if (answer.Item === undefined) throw threadNotFound(threadId);
    return toRecord(answer.Item);
  }

  /**
   * Merges `metadata` into the thread's (one read, one conditional write). Refused while a run holds the
   * thread, whose end writes the record it claimed: a change made meanwhile would be lost.
   * @returns the record as it is now. @throws NotFoundError, ConflictError (busy, or changed meanwhile).
   */
  async update(consumer: string, threadId: string, metadata: Record<string, unknown>, maxBytes: number): Promise<ThreadRecord> {
    const current = await this.get(consumer, threadId);
    const merged = JSON.stringify({ ...current.metadata, ...metadata });
    if (Buffer.byteLength(merged) > maxBytes) {
      throw new BadRequestError(
        `Invalid request: metadata would be ${Buffer.byteLength(merged)} bytes as JSON once merged, above ${maxBytes}.`,
        {
          param: 'metadata',
        },
      );
    }
    const now = Date.now();
    try {
      const item = await this.#updateRecord(recordKey(consumer, threadId), {
        // Unchanged since it was read (updatedAt moves with every write), and not held by a run.
        ConditionExpression: `updatedAt = :seen AND ${NOT_HELD}`,
        UpdateExpression: 'SET metadata = :metadata, updatedAt = :at, expiresAt = :exp',
        ExpressionAttributeValues: {
          ':seen': { S: current.updatedAt },
          ':now': { N: String(Math.floor(now / 1000)) },
          ':metadata': { S: merged },
          ':at': { S: new Date(Math.max(now, Date.parse(current.updatedAt) + 1)).toISOString() },
          ':exp': this.#expiresAt(),
        },
      });
      return toRecord(item);
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      const existing = await this.get(consumer, threadId); // 404 when it was deleted meanwhile
      throw new ConflictError(
        existing.status === 'busy'
          ? `Thread ${threadId} is busy with run ${existing.runId ?? ''}: its metadata can be changed once the run has finished.`
          : `Thread ${threadId} changed while its metadata was being updated. Send the update again.`,
        { code: existing.status === 'busy' ? 'thread_busy' : 'thread_changed' },
      );
    }
  }

  /** Deletes the consumer's thread record. @throws NotFoundError when it has none of that id. */
  async delete(consumer: string, threadId: string): Promise<void> {
    try {
      await this.#send(
        (sdk) =>
          new sdk.DeleteItemCommand({
            TableName: this.#store.tableName,
            Key: recordKey(consumer, threadId),
            ConditionExpression: 'attribute_exists(pk)',
          }),
      );
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') throw threadNotFound(threadId);
      throw err;
    }
  }

  /** The consumer's threads matching the query, sorted and paged. */
  async search(consumer: string, query: ThreadQuery): Promise<ThreadRecord[]> {
    const records: ThreadRecord[] = [];
    let start: Item | undefined;
    do {
      const page = await this.#send<{ Items?: Item[]; LastEvaluatedKey?: Item }>(
        (sdk) =>
          new sdk.QueryCommand({
            TableName: this.#store.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': recordKey(consumer, '').pk },
            ExclusiveStartKey: start,
          }),
      );
      records.push(...(page.Items ?? []).map(toRecord));
      start = records.length >= MAX_SEARCHED_THREADS ? undefined : page.LastEvaluatedKey;
    } while (start !== undefined);
    const ids = query.ids === undefined ? undefined : new Set(query.ids);
    const matching = records.filter(
      (r) =>
        (ids === undefined || ids.has(r.threadId)) &&
        (query.status === undefined || r.status === query.status) &&
        Object.entries(query.metadata ?? {}).every(([k, v]) => JSON.stringify(r.metadata[k]) === JSON.stringify(v)),
    );
    const field = { thread_id: 'threadId', created_at: 'createdAt', updated_at: 'updatedAt', status: 'status' } as const;
    const key = field[query.sortBy];
    const sign = query.sortOrder === 'asc' ? 1 : -1;
    matching.sort((a, b) => sign * (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0));
    return matching.slice(query.offset, query.offset + query.limit);
  }

  /**
   * Takes the thread for a run (one conditional write): busy until the run gives it back, or until the
   * function's time is over. The run's graph and assistant are written into the thread's metadata.
   * @returns the record as it is now. @throws NotFoundError, ConflictError (busy: multitask `reject`).
   */
  async claim(consumer: string, threadId: string, runId: string, metadata: Record<string, unknown>): Promise<ThreadRecord> {
    const key = recordKey(consumer, threadId);
    const now = Date.now();
    try {
      const item = await this.#updateRecord(key, {
        ConditionExpression: `attribute_exists(pk) AND ${NOT_HELD}`,
        UpdateExpression: 'SET #status = :busy, runId = :run, busyUntil = :until, updatedAt = :at, expiresAt = :exp',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':now': { N: String(Math.floor(now / 1000)) },
          ':busy': { S: 'busy' },
          ':run': { S: runId },
          ':until': { N: String(Math.ceil(now / 1000) + this.#options.runSeconds) },
          ':at': { S: new Date(now).toISOString() },
          ':exp': this.#expiresAt(),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
      const record = toRecord(item);
      const added = Object.entries(metadata).filter(([k, v]) => record.metadata[k] !== v);
      if (added.length > 0) {
        record.metadata = { ...record.metadata, ...Object.fromEntries(added) };
        item.metadata = { S: JSON.stringify(record.metadata) };
      }
      this.#claimed.set(runId, { item, metadataAdded: added.length > 0 });
      return record;
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      const existing = await itemAtFailure(this.#store, key, err as { Item?: Item }, this.#options.callMs);
      if (existing === undefined) throw threadNotFound(threadId);
      throw new ConflictError(
        `Thread ${threadId} is busy with run ${existing.runId?.S ?? ''}. Wait for it to finish (this API rejects a second run on a busy thread: multitask_strategy "reject").`,
        { code: 'thread_busy' },
      );
    }
  }

  // The record as each run's claim left it, with the metadata the claim added (graph_id, assistant_id),
  // which its release writes rather than a second call.
  readonly #claimed = new Map<string, { item: Item; metadataAdded: boolean }>();

  /**
   * The record a run gives back, as an item to store with its checkpoints (see `DynamoCheckpointer.flush`):
   * the claimed record without the claim, with its end, marked as having a state. Undefined for a run
   * that holds no claim.
   */
  releasedItem(runId: string, end: { status: ThreadStatus; model: string | undefined; title?: Record<string, unknown> }): Item | undefined {
    const claimed = this.#claimed.get(runId)?.item;
    this.#claimed.delete(runId);
    if (claimed === undefined) return undefined;
    const { runId: _run, busyUntil: _until, ...item } = claimed;
    return {
      ...item,
      status: { S: end.status },
      updatedAt: { S: new Date().toISOString() },
      expiresAt: this.#expiresAt(),
      hasState: { BOOL: true },
      ...(end.model === undefined ? {} : { model: { S: end.model } }),
      ...(end.title === undefined || item.title !== undefined ? {} : { title: { S: JSON.stringify(end.title) } }),
    };
  }

  /**
   * Gives the thread back after a run (one write, only if the run still holds it): its status, its model,
   * its first message when it had none.
   */
  async release(
    consumer: string,
    threadId: string,
    runId: string,
    end: { status: ThreadStatus; model: string | undefined; title?: Record<string, unknown> },
  ): Promise<void> {
    const claimed = this.#claimed.get(runId);
    this.#claimed.delete(runId);
    const values: Item = {
      ':status': { S: end.status },
      ':at': { S: new Date().toISOString() },
      ':run': { S: runId },
      ':exp': this.#expiresAt(),
    };
    const sets = ['#status = :status', 'updatedAt = :at', 'expiresAt = :exp'];
    if (end.model !== undefined) {
      sets.push('model = :model');
      values[':model'] = { S: end.model };
    }
    if (end.title !== undefined) {
      sets.push('title = if_not_exists(title, :title)');
      values[':title'] = { S: JSON.stringify(end.title) };
    }
    if (claimed?.metadataAdded === true && claimed.item.metadata !== undefined) {
      sets.push('metadata = :metadata');
      values[':metadata'] = claimed.item.metadata;
    }
    try {
      await this.#updateRecord(recordKey(consumer, threadId), {
        ConditionExpression: 'runId = :run',
        UpdateExpression: `SET ${sets.join(', ')} REMOVE runId, busyUntil`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: values,
        ReturnValues: 'NONE',
      });
    } catch (err) {
      // The thread was deleted meanwhile, or the claim lapsed and another run holds it: nothing to give back.
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
  }
}

function threadNotFound(threadId: string): NotFoundError {
  return new NotFoundError(`Thread ${threadId} not found.`, { code: 'thread_not_found' });
}

/**
 * A store error as the 503 the API documents; undefined for any other error. The AWS SDK's errors carry
 * `$metadata`; a call's time limit is a TimeoutError, counted as the store's only where no other call can
 * have timed out (`timeouts`: the thread operations without a run).
 */
export function storeFailure(err: unknown, { timeouts = false } = {}): ServiceUnavailableError | undefined {
  if (err instanceof HttpError) return undefined;
  const e = err as { $metadata?: unknown; name?: string };
  const fromStore = e?.$metadata !== undefined || (timeouts && (e?.name === 'TimeoutError' || e?.name === 'AbortError'));
  if (!fromStore) return undefined;
  logger.error('thread store call failed', { error: err as Error });
  return new ServiceUnavailableError('The thread store is unavailable right now; nothing was changed. Try again shortly.', {
    code: 'thread_store_unavailable',
    cause: err,
  });
}
