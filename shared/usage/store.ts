/**
 * The usage table's client, shared by the ledger, the budgets and the contract limiter: one DynamoDB client
 * per function, loaded with the first call (not at cold start), and a time limit on every call so a slow
 * store cannot hold a request for long. npm start points `endpoint` at its embedded store.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The SDK module, loaded on first use. */
export type DynamoSdk = typeof import('@aws-sdk/client-dynamodb'); // eslint-disable-line @typescript-eslint/consistent-type-imports -- the module is loaded on first use

/** Where the table lives. */
export interface StoreConfig {
  tableName: string;
  /** A DynamoDB-compatible endpoint (npm start's embedded store); AWS's when omitted. */
  endpoint?: string;
}

/** The table's client. */
export interface UsageStore {
  tableName: string;
  /** The SDK and its client, connected on first use. */
  connect(): Promise<{ db: DynamoDBClient; sdk: DynamoSdk }>;
}

/** The longest any call may take, retries included (the callers pass their own, shorter limits). */
const BACKSTOP_MS = 3_000;

/** Opens the table's client lazily. */
export function openUsageStore(config: StoreConfig): UsageStore {
  let client: Promise<{ db: DynamoDBClient; sdk: DynamoSdk }> | undefined;
  return {
    tableName: config.tableName,
    connect: () =>
      (client ??= import('@aws-sdk/client-dynamodb').then((sdk) => ({
        sdk,
        db: new sdk.DynamoDBClient({
          ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
          // One quick retry (a throttled call is retried once with the SDK's backoff), then the caller's policy.
          maxAttempts: 2,
          requestHandler: {
            requestTimeout: BACKSTOP_MS,
            connectionTimeout: BACKSTOP_MS,
            throwOnRequestTimeout: true, // otherwise the SDK only warns and keeps waiting
          },
        }),
      }))),
  };
}

/** How long one read or write of the ledger or the budgets may take before it counts as failed. */
export const STORE_CALL_MS = 1_000;

/** Options for one call: aborts after `ms` (a store that answers slowly counts as failed). */
export const within = (ms: number) => ({ abortSignal: AbortSignal.timeout(ms) });

/**
 * The item as it was when a conditional write failed: DynamoDB returns it with the failure
 * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`, no extra call); a compatible store that does not
 * (npm start's embedded one) costs one strongly consistent read.
 */
export async function itemAtFailure(
  store: UsageStore,
  key: Record<string, { S: string }>,
  failure: { Item?: Record<string, AttributeValue> },
  timeoutMs: number,
): Promise<Record<string, AttributeValue> | undefined> {
  if (failure.Item !== undefined) return failure.Item;
  const { db, sdk } = await store.connect();
  const answer = await db.send(new sdk.GetItemCommand({ TableName: store.tableName, Key: key, ConsistentRead: true }), within(timeoutMs));
  return answer.Item;
}
