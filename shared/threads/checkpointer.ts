/**
 * LangGraph checkpoints on DynamoDB, in the usage table (one table: the thread is a partition of its own).
 * Keys, all under `pk = T#<thread id>`:
 *
 * - a checkpoint: `sk = C#<namespace>#<checkpoint id>`, the checkpoint without its channel values, its
 *   metadata and its parent's id. Checkpoint ids are time-ordered (uuid6), so the newest is the last key.
 * - a channel value: `sk = B#<namespace>#<channel>#<version>`, written once, when a checkpoint's `newVersions`
 *   names it; a checkpoint's values are read back by its `channel_versions` (one batch read), so a value that
 *   did not change between steps is stored once, not in every checkpoint.
 * - a pending write: `sk = W#<namespace>#<checkpoint id>#<task id>#<index>`, returned in LangGraph's order.
 *
 * Namespaces, channels and task ids are URI-encoded in keys, so `#` only ever separates. DynamoDB's items
 * hold at most 400 KB: a value larger than an item takes is gzipped, and one still too large is split over
 * numbered part items; nothing is dropped. Every item expires `ttlDays` after it was written (TTL), so a
 * thread left idle that long disappears; an active one keeps its latest state (each step writes it anew).
 */
import type { AttributeValue, WriteRequest } from '@aws-sdk/client-dynamodb';
import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  compareWritesSortKeys,
  maxChannelVersion,
  TASKS,
  WRITES_IDX_MAP,
  writesSortKey,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type PendingWrite,
} from '@langchain/langgraph-checkpoint';
import type { UsageStore } from '#shared/usage/store.ts';

type Item = Record<string, AttributeValue>;

/** Largest value kept in one item (the item limit is 400 KB, keys and attributes included). */
const MAX_VALUE_BYTES = 350_000;
/** DynamoDB's limits per batch call. */
const BATCH_WRITE = 25;
const BATCH_GET = 100;
/** A channel that a checkpoint names in `newVersions` but holds no value for. */
const EMPTY = 'empty';

const enc = encodeURIComponent;
const threadKey = (threadId: string) => `T#${threadId}`;
const checkpointKey = (ns: string, id: string) => `C#${enc(ns)}#${id}`;
const blobKey = (ns: string, channel: string, version: string | number) => `B#${enc(ns)}#${enc(channel)}#${enc(String(version))}`;
const writesPrefix = (ns: string, checkpointId: string) => `W#${enc(ns)}#${checkpointId}#`;

/**
 * A run's checkpoint writes, held until the run ends: put into a run's `configurable` under
 * {@link CHECKPOINT_BATCH_KEY}, the saver collects that run's checkpoints and pending writes here instead of
 * writing each step, and {@link DynamoCheckpointer.flush} stores them together (one BatchWriteItem for a
 * typical turn instead of two calls per step). LangGraph reads a thread's checkpoint once, when the run
 * starts, so nothing within the run needs them stored earlier; the turn is committed by the flush (a run
 * whose function dies before it loses that turn, as it would lose its answer).
 */
export class CheckpointBatch {
  /** The items, by key: a pending write keeps the first one written, as the store's condition would. */
  readonly items = new Map<string, { item: Item; first: boolean }>();
  /** The thread has no checkpoint yet (its owner knows): the run's read of its latest one asks no store. */
  knownEmpty = false;
}

/** Where a run's {@link CheckpointBatch} travels in its `configurable`. */
export const CHECKPOINT_BATCH_KEY = 'checkpointBatch';

const batchOf = (config: RunnableConfig) => config.configurable?.[CHECKPOINT_BATCH_KEY] as CheckpointBatch | undefined;

/** Options of the saver. */
export interface DynamoCheckpointerOptions {
  /** Days after which an item expires (the thread's idle lifetime). */
  ttlDays: number;
  /** Time limit of one store call. */
  callMs?: number;
}

/** What a config names: the thread, the namespace (default ''), the checkpoint (optional). */
function target(config: RunnableConfig, what: string): { threadId: string; ns: string; checkpointId: string | undefined } {
  const c = config.configurable ?? {};
  const threadId: unknown = c.thread_id;
  if (typeof threadId !== 'string' || threadId === '') {
    throw new Error(`Failed to ${what}: the config has no "thread_id" in "configurable" (a checkpointer keeps state per thread).`);
  }
  const ns: unknown = c.checkpoint_ns ?? '';
  if (typeof ns !== 'string') throw new Error(`Failed to ${what}: "checkpoint_ns" must be a string.`);
  const checkpointId: unknown = c.checkpoint_id;
  return { threadId, ns, checkpointId: typeof checkpointId === 'string' && checkpointId !== '' ? checkpointId : undefined };
}

/** A LangGraph checkpoint saver on the usage table; see the module comment. */
export class DynamoCheckpointer extends BaseCheckpointSaver {
  readonly #store: UsageStore;
  readonly #ttlSeconds: number;
  readonly #callMs: number;

  constructor(store: UsageStore, options: DynamoCheckpointerOptions) {
    super();
    this.#store = store;
    this.#ttlSeconds = Math.round(options.ttlDays * 86_400);
    this.#callMs = options.callMs ?? 5_000;
  }

  #expiresAt(): AttributeValue {
    return { N: String(Math.floor(Date.now() / 1000) + this.#ttlSeconds) };
  }

  async #send<T>(command: (sdk: Awaited<ReturnType<UsageStore['connect']>>['sdk']) => object): Promise<T> {
    const { db, sdk } = await this.#store.connect();
    // The command classes share no common type the client's `send` accepts without this narrowing.
    return (await db.send(command(sdk) as never, { abortSignal: AbortSignal.timeout(this.#callMs) })) as T;
  }

  /** Every item of a partition whose sort key starts with `prefix` ('' for all of them), across pages. */
  async #query(pk: string, prefix: string, newestFirst = false, limit?: number): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    // DynamoDB takes no empty string in a key condition: all of a partition is the partition key alone.
    const condition = prefix === '' ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :p)';
    const values: Item = prefix === '' ? { ':pk': { S: pk } } : { ':pk': { S: pk }, ':p': { S: prefix } };
    do {
      const page = await this.#send<{ Items?: Item[]; LastEvaluatedKey?: Item }>(
        (sdk) =>
          new sdk.QueryCommand({
            TableName: this.#store.tableName,
            KeyConditionExpression: condition,
            ExpressionAttributeValues: values,
            ScanIndexForward: !newestFirst,
            ConsistentRead: true,
            ExclusiveStartKey: start,
            ...(limit === undefined ? {} : { Limit: limit }),
          }),
      );
      items.push(...(page.Items ?? []));
      start = limit !== undefined && items.length >= limit ? undefined : page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }

  async #writeAll(requests: WriteRequest[]): Promise<void> {
    for (let i = 0; i < requests.length; i += BATCH_WRITE) {
      let batch: Record<string, WriteRequest[]> | undefined = { [this.#store.tableName]: requests.slice(i, i + BATCH_WRITE) };
      // What the store did not take this time (throttling) is sent again.
      for (let attempt = 0; batch !== undefined && (batch[this.#store.tableName]?.length ?? 0) > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** Math.min(attempt, 6)));
        if (attempt > 8) throw new Error('The store did not take the checkpoint writes.');
        const answer: { UnprocessedItems?: Record<string, WriteRequest[]> } = await this.#send(
          (sdk) => new sdk.BatchWriteItemCommand({ RequestItems: batch }),
        );
        batch = answer.UnprocessedItems;
      }
    }
  }

  /** A serialized value as items: inline (gzipped when large), or split over parts when still too large. */
  async #valueItems(pk: string, sk: string, type: string, bytes: Uint8Array, extra: Item = {}): Promise<Item[]> {
    let value = bytes;
    let gzip = false;
    if (value.byteLength > MAX_VALUE_BYTES) {
      value = (await import('node:zlib')).gzipSync(value);
      gzip = true;
    }
    const parts = Math.ceil(value.byteLength / MAX_VALUE_BYTES) || 1;
    const head: Item = {
      pk: { S: pk },
      sk: { S: sk },
      type: { S: type },
      value: { B: value.subarray(0, MAX_VALUE_BYTES) },
      expiresAt: this.#expiresAt(),
      ...extra,
    };
    if (gzip) head.gzip = { BOOL: true };
    if (parts > 1) head.parts = { N: String(parts) };
    const items = [head];
    for (let n = 1; n < parts; n++) {
      items.push({
        pk: { S: pk },
        sk: { S: `${sk}#p${n}` },
        value: { B: value.subarray(n * MAX_VALUE_BYTES, (n + 1) * MAX_VALUE_BYTES) },
        expiresAt: this.#expiresAt(),
      });
    }
    return items;
  }

  /** The value an item holds (its parts read back when it has any). */
  async #valueOf(item: Item): Promise<unknown> {
    const type = item.type?.S ?? 'json';
    if (type === EMPTY) return undefined;
    let bytes = item.value?.B ?? new Uint8Array();
    const parts = Number(item.parts?.N ?? 1);
    if (parts > 1) {
      const rest = await this.#query(item.pk?.S ?? '', `${item.sk?.S ?? ''}#p`);
      rest.sort((a, b) => Number(a.sk?.S?.split('#p').pop()) - Number(b.sk?.S?.split('#p').pop()));
      bytes = Buffer.concat([bytes, ...rest.map((r) => r.value?.B ?? new Uint8Array())]);
    }
    if (item.gzip?.BOOL === true) bytes = (await import('node:zlib')).gunzipSync(bytes);
    return this.serde.loadsTyped(type, bytes);
  }

  /** The channel values of a checkpoint: the stored value of each channel at its version. */
  async #channelValues(threadId: string, ns: string, versions: ChannelVersions): Promise<Record<string, unknown>> {
    const pk = threadKey(threadId);
    const keys = Object.entries(versions).map(([channel, version]) => ({ channel, sk: blobKey(ns, channel, version) }));
    const found = new Map<string, Item>();
    for (let i = 0; i < keys.length; i += BATCH_GET) {
      let request: Record<string, { Keys: Item[]; ConsistentRead: boolean }> | undefined = {
        [this.#store.tableName]: {
          Keys: keys.slice(i, i + BATCH_GET).map((k) => ({ pk: { S: pk }, sk: { S: k.sk } })),
          ConsistentRead: true,
        },
      };
      for (let attempt = 0; request !== undefined && (request[this.#store.tableName]?.Keys.length ?? 0) > 0; attempt++) {
        if (attempt > 8) throw new Error('The store did not answer the checkpoint reads.');
        if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** Math.min(attempt, 6)));
        const answer: { Responses?: Record<string, Item[]>; UnprocessedKeys?: typeof request } = await this.#send(
          (sdk) => new sdk.BatchGetItemCommand({ RequestItems: request }),
        );
        for (const item of answer.Responses?.[this.#store.tableName] ?? []) found.set(item.sk?.S ?? '', item);
        request = answer.UnprocessedKeys;
      }
    }
    const values: Record<string, unknown> = {};
    for (const { channel, sk } of keys) {
      const item = found.get(sk);
      if (item === undefined || item.type?.S === EMPTY) continue;
      values[channel] = await this.#valueOf(item);
    }
    return values;
  }

  /** The pending writes of a checkpoint, in LangGraph's order (task path, task id, index). */
  async #pendingWrites(threadId: string, ns: string, checkpointId: string): Promise<CheckpointPendingWrite[]> {
    const items = await this.#query(threadKey(threadId), writesPrefix(ns, checkpointId));
    const writes = items.filter((i) => i.taskId !== undefined);
    writes.sort((a, b) =>
      compareWritesSortKeys(
        writesSortKey(a.taskPath?.S ?? '', a.taskId?.S ?? '', Number(a.idx?.N ?? 0)),
        writesSortKey(b.taskPath?.S ?? '', b.taskId?.S ?? '', Number(b.idx?.N ?? 0)),
      ),
    );
    return Promise.all(writes.map(async (w) => [w.taskId?.S ?? '', w.channel?.S ?? '', await this.#valueOf(w)] as CheckpointPendingWrite));
  }

  /**
   * A checkpoint of format 3 or older kept the sends of its step as its parent's pending writes; format 4
   * keeps them in the `__pregel_tasks` channel, where LangGraph now looks.
   */
  async #migratePendingSends(checkpoint: Checkpoint, threadId: string, ns: string, parent: string): Promise<void> {
    const sends = (await this.#pendingWrites(threadId, ns, parent)).filter(([, channel]) => channel === TASKS).map(([, , value]) => value);
    checkpoint.channel_values[TASKS] = sends;
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }

  /** The tuple of a checkpoint item. */
  async #tuple(threadId: string, ns: string, item: Item): Promise<CheckpointTuple> {
    const checkpointId = item.checkpointId?.S ?? '';
    const stored = (await this.serde.loadsTyped(item.type?.S ?? 'json', item.checkpoint?.B ?? new Uint8Array())) as Checkpoint;
    const [channelValues, pendingWrites, metadata] = await Promise.all([
      this.#channelValues(threadId, ns, stored.channel_versions ?? {}),
      this.#pendingWrites(threadId, ns, checkpointId),
      this.serde.loadsTyped(item.metadataType?.S ?? 'json', item.metadata?.B ?? new Uint8Array()) as Promise<CheckpointMetadata>,
    ]);
    const parent = item.parent?.S;
    const checkpoint: Checkpoint = { ...stored, channel_values: channelValues };
    if (stored.v < 4 && parent !== undefined) await this.#migratePendingSends(checkpoint, threadId, ns, parent);
    return {
      config: { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpointId } },
      checkpoint,
      metadata,
      pendingWrites,
      ...(parent === undefined
        ? {}
        : { parentConfig: { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: parent } } }),
    };
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    if (config.configurable?.thread_id === undefined) return undefined; // no thread, no checkpoint
    if (batchOf(config)?.knownEmpty === true && config.configurable.checkpoint_id === undefined) return undefined;
    const { threadId, ns, checkpointId } = target(config, 'get a checkpoint');
    const pk = threadKey(threadId);
    let item: Item | undefined;
    if (checkpointId !== undefined) {
      ({ Item: item } = await this.#send<{ Item?: Item }>(
        (sdk) =>
          new sdk.GetItemCommand({
            TableName: this.#store.tableName,
            Key: { pk: { S: pk }, sk: { S: checkpointKey(ns, checkpointId) } },
            ConsistentRead: true,
          }),
      ));
    } else {
      [item] = await this.#query(pk, `C#${enc(ns)}#`, true, 1);
    }
    return item === undefined ? undefined : this.#tuple(threadId, ns, item);
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { before, filter } = options;
    let { limit } = options;
    const c = config.configurable ?? {};
    const beforeId = typeof before?.configurable?.checkpoint_id === 'string' ? before.configurable.checkpoint_id : undefined;
    const onlyNs = typeof c.checkpoint_ns === 'string' ? c.checkpoint_ns : undefined;
    const onlyId = typeof c.checkpoint_id === 'string' && c.checkpoint_id !== '' ? c.checkpoint_id : undefined;
    const threads = typeof c.thread_id === 'string' ? [c.thread_id] : await this.#threadIds();
    for (const threadId of threads) {
      const prefix = onlyNs === undefined ? 'C#' : `C#${enc(onlyNs)}#`;
      const items = await this.#query(threadKey(threadId), prefix, true);
      for (const item of items) {
        const id = item.checkpointId?.S ?? '';
        const ns = item.ns?.S ?? '';
        if (onlyId !== undefined && id !== onlyId) continue;
        if (beforeId !== undefined && id >= beforeId) continue;
        if (limit !== undefined && limit <= 0) return;
        const tuple = await this.#tuple(threadId, ns, item);
        const metadata = (tuple.metadata ?? {}) as Record<string, unknown>;
        if (filter !== undefined && !Object.entries(filter).every(([k, v]) => JSON.stringify(metadata[k]) === JSON.stringify(v))) continue;
        if (limit !== undefined) limit--;
        yield tuple;
      }
    }
  }

  /** Every thread with a checkpoint (a scan: only `list` without a thread asks, which this API never does). */
  async #threadIds(): Promise<string[]> {
    const ids = new Set<string>();
    let start: Item | undefined;
    do {
      const page: { Items?: Item[]; LastEvaluatedKey?: Item } = await this.#send(
        (sdk) =>
          new sdk.ScanCommand({
            TableName: this.#store.tableName,
            FilterExpression: 'begins_with(pk, :t) AND begins_with(sk, :c)',
            ExpressionAttributeValues: { ':t': { S: 'T#' }, ':c': { S: 'C#' } },
            ProjectionExpression: 'pk',
            ExclusiveStartKey: start,
          }),
      );
      for (const item of page.Items ?? []) ids.add((item.pk?.S ?? '').slice(2));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return [...ids].sort();
  }

  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const { threadId, ns, checkpointId: parent } = target(config, 'put a checkpoint');
    const pk = threadKey(threadId);
    const { channel_values: values, ...rest } = checkpoint;
    const items: Item[] = [];
    for (const [channel, version] of Object.entries(newVersions)) {
      const sk = blobKey(ns, channel, version);
      if (Object.prototype.hasOwnProperty.call(values, channel) && values[channel] !== undefined) {
        const [type, bytes] = await this.serde.dumpsTyped(values[channel]);
        items.push(...(await this.#valueItems(pk, sk, type, bytes)));
      } else {
        items.push({ pk: { S: pk }, sk: { S: sk }, type: { S: EMPTY }, expiresAt: this.#expiresAt() });
      }
    }
    const [[type, stored], [metadataType, metadataBytes]] = await Promise.all([
      this.serde.dumpsTyped({ ...rest, channel_values: {} }),
      this.serde.dumpsTyped(metadata),
    ]);
    const head: Item = {
      pk: { S: pk },
      sk: { S: checkpointKey(ns, checkpoint.id) },
      checkpointId: { S: checkpoint.id },
      ns: { S: ns },
      type: { S: type },
      checkpoint: { B: stored },
      metadataType: { S: metadataType },
      metadata: { B: metadataBytes },
      expiresAt: this.#expiresAt(),
      ...(parent === undefined ? {} : { parent: { S: parent } }),
    };
    const batch = batchOf(config);
    if (batch !== undefined) {
      for (const item of [...items, head]) batch.items.set(`${item.pk?.S}\n${item.sk?.S}`, { item, first: false });
    } else {
      // The values first: a checkpoint is only visible once everything it names is stored.
      await this.#writeAll(items.map((Item) => ({ PutRequest: { Item } })));
      await this.#writeAll([{ PutRequest: { Item: head } }]);
    }
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath = ''): Promise<void> {
    const { threadId, ns, checkpointId } = target(config, 'put writes');
    if (checkpointId === undefined) throw new Error('Failed to put writes: the config has no "checkpoint_id" in "configurable".');
    const pk = threadKey(threadId);
    await Promise.all(
      writes.map(async ([channel, value], position) => {
        const idx = WRITES_IDX_MAP[channel] ?? position;
        const [type, bytes] = await this.serde.dumpsTyped(value);
        const sk = `${writesPrefix(ns, checkpointId)}${enc(taskId)}#${idx}`;
        const items = await this.#valueItems(pk, sk, type, bytes, {
          taskId: { S: taskId },
          channel: { S: channel },
          idx: { N: String(idx) },
          taskPath: { S: taskPath },
        });
        const [head, ...parts] = items as [Item, ...Item[]];
        const batch = batchOf(config);
        if (batch !== undefined) {
          const key = `${head.pk?.S}\n${head.sk?.S}`;
          if (idx >= 0 && batch.items.get(key)?.first === true) return;
          for (const item of [...parts, head]) batch.items.set(`${item.pk?.S}\n${item.sk?.S}`, { item, first: idx >= 0 });
          return;
        }
        if (parts.length > 0) await this.#writeAll(parts.map((Item) => ({ PutRequest: { Item } })));
        // A regular write is kept as first written (a task retried writes the same again); special ones
        // (errors, interrupts, …) are replaced by the latest.
        try {
          await this.#send(
            (sdk) =>
              new sdk.PutItemCommand({
                TableName: this.#store.tableName,
                Item: head,
                ...(idx >= 0 ? { ConditionExpression: 'attribute_not_exists(sk)' } : {}),
              }),
          );
        } catch (err) {
          if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
        }
      }),
    );
  }

  /**
   * Stores a run's batch (and `after`, the items its owner adds: the thread's record): values and pending
   * writes before the checkpoints that name them, in as few
   * BatchWriteItem calls as they fit (25 items each). Within one call DynamoDB applies the items in no
   * promised order, so a reader can, for the milliseconds of the call, see a new checkpoint before its
   * last values; the run's thread is busy meanwhile, and its answer is not sent before the flush ends.
   */
  async flush(batch: CheckpointBatch, after: Item[] = []): Promise<void> {
    const all = [...batch.items.values()].map((e) => e.item);
    batch.items.clear();
    const heads = all.filter((i) => i.sk?.S?.startsWith('C#'));
    const rest = all.filter((i) => !i.sk?.S?.startsWith('C#'));
    await this.#writeAll([...rest, ...heads, ...after].map((Item) => ({ PutRequest: { Item } })));
  }

  async deleteThread(threadId: string): Promise<void> {
    const items = await this.#query(threadKey(threadId), '');
    await this.#writeAll(items.map((i) => ({ DeleteRequest: { Key: { pk: i.pk as AttributeValue, sk: i.sk as AttributeValue } } })));
  }
}
