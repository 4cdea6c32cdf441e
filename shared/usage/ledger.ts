/**
 * The usage ledger in DynamoDB: per consumer, per model, per day and per month, how many requests reached
 * IONOS, how many failed, and the tokens, images and Studio jobs they used. Counters only grow through
 * `ADD` in one UpdateItem per window, so concurrent requests (across containers) never lose a count.
 *
 * Keys (one table, see the README): `pk = C#<consumer>`, `sk = D#<yyyy-mm-dd>#<model>` or
 * `M#<yyyy-mm>#<model>`. One Query on `pk` with an `sk` prefix reads a consumer's day or month, per model,
 * and nothing else: a consumer's items never share a partition with another's. Windows expire by TTL.
 *
 * Failures are fail-open: a ledger that cannot be written never fails the request it records (the answer
 * was already given); the caller counts and logs it (`LedgerWriteFailures`).
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';

type Sdk = typeof import('@aws-sdk/client-dynamodb'); // eslint-disable-line @typescript-eslint/consistent-type-imports -- the module is loaded on first use

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

/** Where the ledger lives. */
export interface LedgerConfig {
  tableName: string;
  /** A DynamoDB-compatible endpoint (npm start's embedded store); AWS's when omitted. */
  endpoint?: string;
  /** Per call, so a slow store cannot hold a request for long. */
  timeoutMs?: number;
}

// Day windows are kept for three months, month windows for two years (TTL deletes them after that).
const DAY_TTL_SECONDS = 93 * 86_400;
const MONTH_TTL_SECONDS = 731 * 86_400;
const COUNTERS = ['requests', 'failed', 'prompt_tokens', 'completion_tokens', 'images', 'studio_jobs'] as const;

/** `2026-11-23` and `2026-11` of a time, in UTC (the windows' boundaries). */
export function windowsOf(at: Date): { day: string; month: string } {
  const day = at.toISOString().slice(0, 10);
  return { day, month: day.slice(0, 7) };
}

const emptyCounts = (): UsageCounts => ({
  requests: 0,
  failed: 0,
  prompt_tokens: 0,
  completion_tokens: 0,
  total_tokens: 0,
  images: 0,
  studio_jobs: 0,
});

/** Creates a ledger over a table. The SDK client is loaded with the first call (not at cold start). */
export function createLedger(config: LedgerConfig): Ledger {
  let client: Promise<{ db: DynamoDBClient; sdk: Sdk }> | undefined;
  const connect = () =>
    (client ??= import('@aws-sdk/client-dynamodb').then((sdk) => ({
      sdk,
      db: new sdk.DynamoDBClient({
        ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
        // One quick retry: the request's answer is already out, a slow store only delays the invocation's end.
        maxAttempts: 2,
        requestHandler: {
          requestTimeout: config.timeoutMs ?? 2_000,
          connectionTimeout: config.timeoutMs ?? 2_000,
          throwOnRequestTimeout: true, // otherwise the SDK only warns and keeps waiting
        },
      }),
    })));

  return {
    async record(entry, at = new Date()) {
      const { db, sdk } = await connect();
      const { day, month } = windowsOf(at);
      const now = Math.floor(at.getTime() / 1000);
      const values: Record<(typeof COUNTERS)[number], number> = {
        requests: 1,
        failed: entry.failed === true ? 1 : 0,
        prompt_tokens: entry.promptTokens ?? 0,
        completion_tokens: entry.completionTokens ?? 0,
        images: entry.images ?? 0,
        studio_jobs: entry.studioJobs ?? 0,
      };
      const add = COUNTERS.map((c) => `${c} :${c}`).join(', ');
      const window = (sk: string, period: string, ttl: number) =>
        db.send(
          new sdk.UpdateItemCommand({
            TableName: config.tableName,
            Key: { pk: { S: `C#${entry.consumer}` }, sk: { S: sk } },
            UpdateExpression: `ADD ${add} SET consumer = :consumer, model = :model, period = :period, expiresAt = if_not_exists(expiresAt, :ttl)`,
            ExpressionAttributeValues: {
              ...Object.fromEntries(COUNTERS.map((c) => [`:${c}`, { N: String(values[c]) }])),
              ':consumer': { S: entry.consumer },
              ':model': { S: entry.model },
              ':period': { S: period },
              ':ttl': { N: String(now + ttl) },
            },
          }),
        );
      await Promise.all([
        window(`D#${day}#${entry.model}`, day, DAY_TTL_SECONDS),
        window(`M#${month}#${entry.model}`, month, MONTH_TTL_SECONDS),
      ]);
    },

    async read(consumer, at = new Date()) {
      const { db, sdk } = await connect();
      const { day, month } = windowsOf(at);
      const readWindow = async (prefix: string, period: string): Promise<UsageWindow> => {
        const window: UsageWindow = { period, ...emptyCounts(), models: {} };
        let start: Record<string, AttributeValue> | undefined;
        do {
          const page = await db.send(
            new sdk.QueryCommand({
              TableName: config.tableName,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
              ExpressionAttributeValues: { ':pk': { S: `C#${consumer}` }, ':prefix': { S: prefix } },
              ConsistentRead: true,
              ExclusiveStartKey: start,
            }),
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
