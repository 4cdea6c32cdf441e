/**
 * The usage ledger in DynamoDB: per consumer, per model, per day and per month, how many requests reached
 * IONOS, how many failed, and the tokens, images and Studio jobs they used. Counters only grow through
 * `ADD` in one UpdateItem per window, so concurrent requests (across containers) never lose a count;
 * concurrent writes to one item within a process are summed into one (see coalesce.ts).
 *
 * Keys (one table, see docs/usage-and-limits.md): `pk = C#<consumer>`, `sk = D#<yyyy-mm-dd>#<model>` or
 * `M#<yyyy-mm>#<model>`. One Query on `pk` with an `sk` prefix reads a consumer's day or month, per model,
 * and nothing else: a consumer's items never share a partition with another's. Windows expire by TTL.
 * A consumer with budgets also has one budget item per month (`sk = B#<yyyy-mm>`, see budgets.ts).
 *
 * Fail-open: an unwritten entry never fails its request (answered already); the caller logs and counts it.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { budgetWindowAt } from '#shared/usage/budgets.ts';
import { WriteCoalescer } from '#shared/usage/coalesce.ts';
import { STORE_CALL_MS, within, type UsageStore } from '#shared/usage/store.ts';
import { WINDOW_TTL_SECONDS } from '#shared/usage/table.ts';

/** What one request used. Omitted counts are 0. */
export interface UsageEntry {
  consumer: string;
  /** The model, or `unverified` when IONOS did not accept the request. */
  model: string;
  failed?: boolean;
  promptTokens?: number;
  completionTokens?: number;
  images?: number;
  studioJobs?: number;
  /** The tokens are an estimate: the answer's own usage never arrived (a stream cut short). */
  estimated?: boolean;
}

/** Counters of one window (or of one model in it). */
export interface UsageCounts {
  requests: number;
  failed: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  images: number;
  studio_jobs: number;
  /** Requests whose tokens are estimated (see `UsageEntry.estimated`). */
  estimated: number;
}

/** One window: totals and the same counters per model. */
export interface UsageWindow extends UsageCounts {
  /** `2026-11-23` or `2026-11` (UTC). */
  period: string;
  models: Record<string, UsageCounts>;
}

/** The ledger's reading of one consumer. */
export interface ConsumerUsage {
  today: UsageWindow;
  this_month: UsageWindow;
}

/** The ledger. */
export interface Ledger {
  /** Adds one request's usage to its day and month windows. @throws the store's error. */
  record(entry: UsageEntry, at?: Date): Promise<void>;
  /** The consumer's day and month (strongly consistent reads). @throws the store's error. */
  read(consumer: string, at?: Date): Promise<ConsumerUsage>;
}

/**
 * Time each write may take, longer than a read's: it runs after the answer (the client does not wait), so
 * a store that is briefly slow (npm start's embedded store in a cold burst) costs a little billed time,
 * not a lost entry.
 */
const WRITE_MS = 3_000;

const COUNTERS = ['requests', 'failed', 'prompt_tokens', 'completion_tokens', 'images', 'studio_jobs', 'estimated'] as const;

/** `2026-11-23` and `2026-11` of a time, in UTC (the windows' boundaries). */
export function windowsOf(at: Date): { day: string; month: string } {
  return { day: budgetWindowAt('day', at).id, month: budgetWindowAt('month', at).id };
}

const emptyCounts = (): UsageCounts => ({
  requests: 0,
  failed: 0,
  prompt_tokens: 0,
  completion_tokens: 0,
  total_tokens: 0,
  images: 0,
  studio_jobs: 0,
  estimated: 0,
});

/** Creates the ledger over the usage table. */
export function createLedger(store: UsageStore): Ledger {
  const { tableName } = store;
  const counters = new WriteCoalescer<unknown>();
  return {
    async record(entry, at = new Date()) {
      const { db, sdk } = await store.connect();
      const { day, month } = windowsOf(at);
      const now = Math.floor(at.getTime() / 1000);
      const values: Record<(typeof COUNTERS)[number], number> = {
        requests: 1,
        failed: entry.failed === true ? 1 : 0,
        prompt_tokens: entry.promptTokens ?? 0,
        completion_tokens: entry.completionTokens ?? 0,
        images: entry.images ?? 0,
        studio_jobs: entry.studioJobs ?? 0,
        estimated: entry.estimated === true ? 1 : 0,
      };
      const add = COUNTERS.map((c) => `${c} :${c}`).join(', ');
      const pk = `C#${entry.consumer}`;
      const window = (sk: string, period: string, ttl: number) =>
        counters.add(`${pk} ${sk}`, values, (sum) =>
          db.send(
            new sdk.UpdateItemCommand({
              TableName: tableName,
              Key: { pk: { S: pk }, sk: { S: sk } },
              UpdateExpression: `ADD ${add} SET consumer = :consumer, model = :model, period = :period, expiresAt = if_not_exists(expiresAt, :ttl)`,
              ExpressionAttributeValues: {
                ...Object.fromEntries(COUNTERS.map((c) => [`:${c}`, { N: String(sum[c] ?? 0) }])),
                ':consumer': { S: entry.consumer },
                ':model': { S: entry.model },
                ':period': { S: period },
                ':ttl': { N: String(now + ttl) },
              },
            }),
            within(WRITE_MS),
          ),
        );
      await Promise.all([
        window(`D#${day}#${entry.model}`, day, WINDOW_TTL_SECONDS.day),
        window(`M#${month}#${entry.model}`, month, WINDOW_TTL_SECONDS.month),
      ]);
    },

    async read(consumer, at = new Date()) {
      const { db, sdk } = await store.connect();
      const { day, month } = windowsOf(at);
      const readWindow = async (prefix: string, period: string): Promise<UsageWindow> => {
        const window: UsageWindow = { period, ...emptyCounts(), models: {} };
        let start: Record<string, AttributeValue> | undefined;
        do {
          const page = await db.send(
            new sdk.QueryCommand({
              TableName: tableName,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
              ExpressionAttributeValues: { ':pk': { S: `C#${consumer}` }, ':prefix': { S: prefix } },
              ConsistentRead: true,
              ExclusiveStartKey: start,
            }),
            within(STORE_CALL_MS),
          );
          for (const item of page.Items ?? []) {
            const model = item.model?.S ?? 'unknown';
            const counts = (window.models[model] ??= emptyCounts());
            for (const c of COUNTERS) {
              const n = Number(item[c]?.N ?? 0);
              counts[c] += n;
              window[c] += n;
            }
            counts.total_tokens = counts.prompt_tokens + counts.completion_tokens;
          }
          start = page.LastEvaluatedKey;
        } while (start !== undefined);
        window.total_tokens = window.prompt_tokens + window.completion_tokens;
        return window;
      };
      const [today, thisMonth] = await Promise.all([readWindow(`D#${day}#`, day), readWindow(`M#${month}#`, month)]);
      return { today, this_month: thisMonth };
    },
  };
}
