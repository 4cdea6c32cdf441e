/**
 * The IONOS contract held across containers and functions: IONOS limits the whole contract (requests per
 * second with a burst, and image generations per minute with their own burst), not each of our API keys,
 * so every Hub call of every function takes a slot from one limiter in the usage table first.
 *
 * The limiter is GCRA (a token bucket kept as one number, the "theoretical arrival time" `tat`): a call is
 * allowed when `tat - now <= (burst - 1) * interval`, and moves `tat` on by one interval. It needs no read:
 *   1. idle bucket: `SET tat = now + interval` if `tat <= now` (or no item yet);
 *   2. busy bucket: `ADD tat interval` if `tat <= now + (burst - 1) * interval`;
 *   3. both conditions fail: no slot; the old `tat` (returned with the failed condition) says when one frees.
 * Each step is one conditional UpdateItem, atomic in DynamoDB, so two containers can never take the same
 * slot. Times are epoch milliseconds of each container's clock (Lambda hosts keep NTP time).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TooManyRequestsError } from '#shared/errors.ts';
import type { UsageStore } from '#shared/usage/store.ts';
import { within } from '#shared/usage/store.ts';
import { WINDOW_TTL_SECONDS } from '#shared/usage/table.ts';

/** One limit: `perSecond` sustained (fractions allowed: 10 per minute is 1/6), `burst` at once from idle. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

/** The contract's limits; a limit of 0 per second is not enforced. */
export interface ContractLimits {
  requests: RateLimit;
  images: RateLimit;
}

/** Which bucket a call draws from: every call takes a request; an image generation also takes an image. */
export type ContractBucket = keyof ContractLimits;

/** The limiter. */
export interface ContractLimiter {
  /**
   * Takes a slot from each bucket, waiting while none is free until `waitUntil` (epoch ms; no wait when
   * omitted) unless `signal` aborts. @throws TooManyRequestsError (`contract_rate_limited`) with
   * `Retry-After` when none frees in time; the signal's reason when it aborts.
   * @throws the store's error (the caller decides fail-open).
   */
  take(buckets: readonly ContractBucket[], waitUntil?: number, signal?: AbortSignal): Promise<void>;
}

/** Takes the contract slots of one upstream attempt (`ContractLimiter.take` with the caller's fail-open policy). */
export type ContractSlot = (buckets: readonly ContractBucket[], waitUntil?: number, signal?: AbortSignal) => Promise<void>;

/** How long one limiter call may take: it sits in front of every Hub call. */
export const LIMITER_CALL_MS = 500;

/** Tries once to take a slot; returns 0 when taken, else the milliseconds until one frees. */
async function tryTake(store: UsageStore, bucket: ContractBucket, limit: RateLimit, now: number): Promise<number> {
  const { db, sdk } = await store.connect();
  const interval = 1000 / limit.perSecond;
  const tolerance = (limit.burst - 1) * interval;
  const key = { pk: { S: 'L#ionos-contract' }, sk: { S: bucket } };
  const ttl = { N: String(Math.floor(now / 1000) + WINDOW_TTL_SECONDS.minute) };
  const update = (input: Omit<ConstructorParameters<typeof sdk.UpdateItemCommand>[0], 'TableName' | 'Key'>) =>
    db.send(new sdk.UpdateItemCommand({ TableName: store.tableName, Key: key, ...input }), within(LIMITER_CALL_MS)).then(
      () => true as const,
      (err: unknown) => {
        if (err instanceof sdk.ConditionalCheckFailedException) return err;
        throw err;
      },
    );
  const idle = await update({
    ConditionExpression: 'attribute_not_exists(tat) OR tat <= :now',
    UpdateExpression: 'SET tat = :next, expiresAt = :ttl',
    ExpressionAttributeValues: { ':now': { N: String(now) }, ':next': { N: String(now + interval) }, ':ttl': ttl },
  });
  if (idle === true) return 0;
  const busy = await update({
    ConditionExpression: 'tat <= :latest',
    UpdateExpression: 'ADD tat :interval SET expiresAt = :ttl',
    ExpressionAttributeValues: { ':latest': { N: String(now + tolerance) }, ':interval': { N: String(interval) }, ':ttl': ttl },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
  if (busy === true) return 0;
  const tat = Number(busy.Item?.tat?.N ?? Number.NaN);
  // A store that does not return the old item: one interval is the shortest wait that can help.
  return Number.isFinite(tat) ? Math.max(1, Math.ceil(tat - tolerance - now)) : Math.ceil(interval);
}

/** Creates the limiter over the usage table. */
export function createContractLimiter(store: UsageStore, limits: ContractLimits): ContractLimiter {
  return {
    async take(buckets, waitUntil, signal) {
      // Scarcer first: an image slot refused must not have spent a request slot.
      for (const bucket of (['images', 'requests'] as const).filter((b) => buckets.includes(b))) {
        const limit = limits[bucket];
        if (limit.perSecond <= 0) continue;
        for (;;) {
          const now = Date.now();
          const waitMs = await tryTake(store, bucket, limit, now);
          if (waitMs === 0) break;
          if (waitUntil === undefined || now + waitMs > waitUntil) {
            throw new TooManyRequestsError(
              `The IONOS contract's ${bucket === 'images' ? 'image generation' : 'request'} rate is used up (${describe(limit)}, shared by all consumers); retry after the time in Retry-After.`,
              { code: 'contract_rate_limited', retryAfterSeconds: waitMs / 1000 },
            );
          }
          await sleep(waitMs, undefined, { signal });
        }
      }
    },
  };
}

const describe = (l: RateLimit) =>
  l.perSecond >= 1 ? `${l.perSecond} per second, burst ${l.burst}` : `${Math.round(l.perSecond * 60)} per minute, burst ${l.burst}`;
