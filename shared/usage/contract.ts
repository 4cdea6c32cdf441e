/**
 * The IONOS contract held across containers and functions: IONOS limits the whole contract (requests per
 * second with a burst, and image generations per minute with their own burst), not each of our API keys,
 * so every Hub call of every function takes a slot from one limiter in the usage table first.
 *
 * The limiter is GCRA (a token bucket kept as one number, the "theoretical arrival time" `tat`): a call is
 * allowed when `tat - now <= (burst - 1) * interval`, and moves `tat` on by one interval. It needs no read:
 * an idle clock (`tat <= now`, or none yet) is `SET tat = now + interval`, a busy one with room is
 * `ADD tat interval`. Each consumer also has a clock of its own in the same item (`s#<consumer>`) at its
 * share of the rate, so the contract's slot and the consumer's share are taken in one conditional
 * UpdateItem, atomic in DynamoDB: two containers can never take the same slot, and a consumer over its
 * share spends none of the contract's. The mode of each clock is guessed from the last answer; a wrong
 * guess fails the condition and the old item (returned with it) tells the right one, or how long until a
 * slot frees. Times are epoch milliseconds of each container's clock (Lambda hosts keep NTP time).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TooManyRequestsError } from '#shared/errors.ts';
import type { UsageStore } from '#shared/usage/store.ts';
import { itemAtFailure, within } from '#shared/usage/store.ts';
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

/**
 * A consumer's share of the contract: at most `fraction` of each limit (rate and burst), so one consumer's
 * fan-out cannot take every slot of a contract that all consumers share.
 */
export interface ContractShare {
  consumer: string;
  /** 0 < fraction <= 1; 1 is no share limit. */
  fraction: number;
}

/** How one slot is taken. */
export interface TakeOptions {
  /** The calling consumer's share; without one, only the contract's own limit applies. */
  share?: ContractShare;
  /** Epoch ms until which to wait for a slot; without it, none free is a 429 at once. */
  waitUntil?: number;
  signal?: AbortSignal;
}

/** The limiter. */
export interface ContractLimiter {
  /**
   * Takes a slot from each bucket (and from the consumer's share of it), waiting while none is free until
   * `waitUntil` unless `signal` aborts. @throws TooManyRequestsError (`contract_rate_limited`, or
   * `contract_share_exceeded` for the consumer's share) with `Retry-After` when none frees in time; the
   * signal's reason when it aborts. @throws the store's error (the caller decides fail-open).
   */
  take(buckets: readonly ContractBucket[], options?: TakeOptions): Promise<void>;
}

/** How long one limiter call may take: it sits in front of every Hub call. */
export const LIMITER_CALL_MS = 500;

/** One GCRA clock in the bucket's item: the contract's (`tat`) or a consumer's share of it (`s#<consumer>`). */
interface Clock {
  attribute: string;
  interval: number;
  tolerance: number;
  share: boolean;
}

/** The clocks a take moves: the contract's, and the consumer's share when it is below the whole. */
function clocksOf(limit: RateLimit, share: ContractShare | undefined): Clock[] {
  const interval = 1000 / limit.perSecond;
  const clocks: Clock[] = [{ attribute: 'tat', interval, tolerance: (limit.burst - 1) * interval, share: false }];
  if (share !== undefined && share.fraction < 1) {
    const shareInterval = interval / share.fraction;
    const burst = Math.max(1, Math.floor(limit.burst * share.fraction));
    clocks.push({ attribute: `s#${share.consumer}`, interval: shareInterval, tolerance: (burst - 1) * shareInterval, share: true });
  }
  return clocks;
}

/**
 * Each clock's `tat` as the last answer showed it, per bucket and attribute: the mode it implies now (idle
 * when it has passed) is usually right, so a slot costs one UpdateItem, and a second only when another
 * container moved the clock meanwhile.
 */
const lastTat = new Map<string, number>();
const guessIdle = (key: string, now: number) => (lastTat.get(key) ?? 0) <= now;

/**
 * Tries to take one slot of every clock in one conditional UpdateItem (atomic: all or none).
 * @returns 0 when taken; else the milliseconds until a slot frees and which clock is short (`retry` when
 * only a clock's mode was guessed wrong and the take can be tried again at once).
 */
async function tryTake(
  store: UsageStore,
  bucket: ContractBucket,
  clocks: readonly Clock[],
  now: number,
): Promise<{ waitMs: number; share: boolean } | 'taken' | 'retry'> {
  const { db, sdk } = await store.connect();
  const key = { pk: { S: 'L#ionos-contract' }, sk: { S: bucket } };
  const names: Record<string, string> = {};
  const values: Record<string, { N: string }> = {
    ':now': { N: String(now) },
    ':ttl': { N: String(Math.floor(now / 1000) + WINDOW_TTL_SECONDS.minute) },
  };
  const conditions: string[] = [];
  const sets: string[] = ['expiresAt = :ttl'];
  const adds: string[] = [];
  // The guesses this write makes, kept: other takes in this container may change `lastTat` meanwhile.
  const guesses = clocks.map((clock) => guessIdle(`${bucket} ${clock.attribute}`, now));
  clocks.forEach((clock, i) => {
    const name = `#c${i}`;
    names[name] = clock.attribute;
    if (guesses[i] === true) {
      conditions.push(`(attribute_not_exists(${name}) OR ${name} <= :now)`);
      sets.push(`${name} = :next${i}`);
      values[`:next${i}`] = { N: String(now + clock.interval) };
    } else {
      conditions.push(`(${name} > :now AND ${name} <= :latest${i})`);
      adds.push(`${name} :interval${i}`);
      values[`:latest${i}`] = { N: String(now + clock.tolerance) };
      values[`:interval${i}`] = { N: String(clock.interval) };
    }
  });
  try {
    const answer = await db.send(
      new sdk.UpdateItemCommand({
        TableName: store.tableName,
        Key: key,
        ConditionExpression: conditions.join(' AND '),
        UpdateExpression: `SET ${sets.join(', ')}${adds.length > 0 ? ` ADD ${adds.join(', ')}` : ''}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'UPDATED_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
      within(LIMITER_CALL_MS),
    );
    for (const clock of clocks) {
      const tat = Number(answer.Attributes?.[clock.attribute]?.N ?? Number.NaN);
      if (Number.isFinite(tat)) lastTat.set(`${bucket} ${clock.attribute}`, tat);
    }
    return 'taken';
  } catch (err) {
    if (!(err instanceof sdk.ConditionalCheckFailedException)) throw err;
    const item = await itemAtFailure(store, key, err, LIMITER_CALL_MS);
    // Each clock's state from the item as it was: idle, busy with room, or full (how long until room).
    let retry = false;
    let full: { waitMs: number; share: boolean } | undefined;
    for (const [i, clock] of clocks.entries()) {
      const raw = item?.[clock.attribute]?.N;
      const tat = raw === undefined ? undefined : Number(raw);
      const cacheKey = `${bucket} ${clock.attribute}`;
      if ((tat === undefined || tat <= now) !== guesses[i]) retry = true;
      if (tat === undefined) lastTat.delete(cacheKey);
      else lastTat.set(cacheKey, tat);
      if (tat !== undefined && tat > now + clock.tolerance) {
        const waitMs = Math.max(1, Math.ceil(tat - clock.tolerance - now));
        if (full === undefined || waitMs > full.waitMs) full = { waitMs, share: clock.share };
      }
    }
    if (full !== undefined) return full;
    return retry ? 'retry' : { waitMs: 1, share: false };
  }
}

/** Creates the limiter over the usage table. */
export function createContractLimiter(store: UsageStore, limits: ContractLimits): ContractLimiter {
  return {
    async take(buckets, { share, waitUntil, signal } = {}) {
      // Scarcer first: an image slot refused must not have spent a request slot.
      for (const bucket of (['images', 'requests'] as const).filter((b) => buckets.includes(b))) {
        const limit = limits[bucket];
        if (limit.perSecond <= 0) continue;
        const clocks = clocksOf(limit, share);
        for (let tries = 0; ; tries++) {
          const now = Date.now();
          const result = await tryTake(store, bucket, clocks, now);
          if (result === 'taken') break;
          if (result === 'retry' && tries < 16) continue; // each retry reads the latest state; under contention one take wins per round
          const { waitMs, share: ofShare } = result === 'retry' ? { waitMs: 1, share: false } : result;
          if (waitUntil === undefined || now + waitMs > waitUntil) throw refusal(bucket, limit, ofShare ? share : undefined, waitMs);
          await sleep(waitMs, undefined, { signal });
        }
      }
    },
  };
}

function refusal(bucket: ContractBucket, limit: RateLimit, share: ContractShare | undefined, waitMs: number): TooManyRequestsError {
  const what = bucket === 'images' ? 'image generation' : 'request';
  if (share !== undefined) {
    return new TooManyRequestsError(
      `Consumer "${share.consumer}" is using its whole share of the IONOS contract's ${what} rate (${Math.round(share.fraction * 100)}% of ${describe(limit)}); retry after the time in Retry-After.`,
      { code: 'contract_share_exceeded', retryAfterSeconds: waitMs / 1000 },
    );
  }
  return new TooManyRequestsError(
    `The IONOS contract's ${what} rate is used up (${describe(limit)}, shared by all consumers); retry after the time in Retry-After.`,
    { code: 'contract_rate_limited', retryAfterSeconds: waitMs / 1000 },
  );
}

const describe = (l: RateLimit) =>
  l.perSecond >= 1 ? `${l.perSecond} per second, burst ${l.burst}` : `${Math.round(l.perSecond * 60)} per minute, burst ${l.burst}`;
