/**
 * Budgets: a consumer may use at most `tokensPerMinute`, `tokensPerDay` and `tokensPerMonth` tokens (prompt
 * + completion), `imagesPerDay` images and `studioJobsPerDay` Studio jobs (UTC windows).
 *
 * Admission reserves, settlement corrects. Before a request goes to IONOS, its estimate (see
 * `pipeline/estimate.ts`) is added to every counter of the consumer in one conditional UpdateItem that
 * succeeds only while each budgeted counter still has room (tokens: below the budget; images and jobs:
 * room for this request's count). Concurrent requests, in any container, so see each other's reservations:
 * once the reserved and used tokens reach a budget, no request starts until one settles. After the answer,
 * the difference between the real use and the estimate is added. A small budget still serves small
 * requests: admission asks for room left, not for room for the whole estimate.
 *
 * The overshoot bound that holds: a window's tokens end at most at `budget - 1` plus the estimate of the
 * last request admitted, plus whatever requests in flight use beyond their estimates (a prompt denser than
 * the estimate's bytes per token, or an answer longer than the output estimate of a request that set no
 * `max_tokens`). Image and Studio job budgets are exact.
 *
 * One item per consumer and month holds every counter (`pk = C#<consumer>`, `sk = B#<yyyy-mm>`): `tokens`
 * (the month), `tokens_<dd>`, `images_<dd>`, `jobs_<dd>` (each day of it), and for a minute budget the
 * current minute's id and `tokens_minute`. So admission is one store call and settlement one more, whatever
 * the number of budgets.
 */
import { TooManyRequestsError } from '#shared/errors.ts';
import { WriteCoalescer } from '#shared/usage/coalesce.ts';
import { BUDGET_KEYS, BUDGET_UNIT, type BudgetKey, type Budgets } from '#shared/usage/consumer-settings.ts';
import { itemAtFailure, STORE_CALL_MS, within, type UsageStore } from '#shared/usage/store.ts';
import { WINDOW_TTL_SECONDS } from '#shared/usage/table.ts';

/** A budget's window (UTC). */
export type BudgetWindow = 'minute' | 'day' | 'month';

const WINDOW_OF: Record<BudgetKey, BudgetWindow> = {
  tokensPerMinute: 'minute',
  tokensPerDay: 'day',
  tokensPerMonth: 'month',
  imagesPerDay: 'day',
  studioJobsPerDay: 'day',
};

/** A window at a time: its id (`2026-11-23T15:04`, `2026-11-23`, `2026-11`) and when the next one starts. */
export function budgetWindowAt(window: BudgetWindow, at: Date): { id: string; resetsAt: Date } {
  const iso = at.toISOString();
  const [y, m, d, h, min] = [at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate(), at.getUTCHours(), at.getUTCMinutes()];
  if (window === 'minute') return { id: iso.slice(0, 16), resetsAt: new Date(Date.UTC(y, m, d, h, min + 1)) };
  if (window === 'day') return { id: iso.slice(0, 10), resetsAt: new Date(Date.UTC(y, m, d + 1)) };
  return { id: iso.slice(0, 7), resetsAt: new Date(Date.UTC(y, m + 1, 1)) };
}

/** True when the consumer has any budget (only then is anything reserved or settled). */
export const hasBudgets = (budgets: Budgets): boolean => BUDGET_KEYS.some((k) => budgets[k] !== undefined);

/** What one request takes from the budgets: tokens, images, Studio jobs. */
export interface Charge {
  tokens: number;
  images: number;
  studioJobs: number;
}

/** The item and attribute names of each counter at a time. */
function counters(at: Date) {
  const day = at.toISOString().slice(8, 10);
  return {
    sk: `B#${budgetWindowAt('month', at).id}`,
    minute: budgetWindowAt('minute', at).id,
    attribute: {
      tokensPerMonth: 'tokens',
      tokensPerDay: `tokens_${day}`,
      imagesPerDay: `images_${day}`,
      studioJobsPerDay: `jobs_${day}`,
      tokensPerMinute: 'tokens_minute',
    } satisfies Record<BudgetKey, string>,
  };
}

/** What a budget counts of a charge. */
const chargedOf = (key: BudgetKey, charge: Charge) =>
  BUDGET_UNIT[key] === 'tokens' ? charge.tokens : BUDGET_UNIT[key] === 'images' ? charge.images : charge.studioJobs;

/** One budget's state: what it allows, what was used (reservations in flight included), and when its window resets. */
export interface BudgetState {
  budget: BudgetKey;
  limit: number;
  used: number;
  resetsAt: string;
}

/** Each budget with its use, from the consumer's item as the store holds it. */
export function budgetStates(budgets: Budgets, item: Record<string, { N?: string; S?: string }> | undefined, at: Date): BudgetState[] {
  const { attribute, minute } = counters(at);
  return BUDGET_KEYS.flatMap((budget) => {
    const limit = budgets[budget];
    if (limit === undefined) return [];
    const stale = budget === 'tokensPerMinute' && item?.minute?.S !== minute; // another minute's count
    const used = stale ? 0 : Number(item?.[attribute[budget]]?.N ?? 0);
    return [{ budget, limit, used, resetsAt: budgetWindowAt(WINDOW_OF[budget], at).resetsAt.toISOString() }];
  });
}

/**
 * @throws TooManyRequestsError (`budget_exceeded`) naming the budget that has no room for `charge`, with
 * `Retry-After` until its window resets (the latest, when several have none).
 */
export function assertWithinBudgets(consumer: string, states: readonly BudgetState[], at: Date, charge?: Charge): void {
  const over = states.filter((s) => {
    const asked = charge === undefined ? 0 : chargedOf(s.budget, charge);
    return BUDGET_UNIT[s.budget] === 'tokens' ? s.used >= s.limit : asked > 0 && s.used + asked > s.limit;
  });
  if (over.length === 0) return;
  const last = over.reduce((a, b) => (Date.parse(b.resetsAt) > Date.parse(a.resetsAt) ? b : a));
  throw new TooManyRequestsError(
    `Consumer "${consumer}" has used its ${last.budget} budget (${last.used} of ${last.limit} ${BUDGET_UNIT[last.budget]}); it resets at ${last.resetsAt}.`,
    { code: 'budget_exceeded', retryAfterSeconds: (Date.parse(last.resetsAt) - at.getTime()) / 1000 },
  );
}

/** The consumer's budgets with their use (strongly consistent). @throws the store's error. */
export async function readBudgets(store: UsageStore, consumer: string, budgets: Budgets, at: Date): Promise<BudgetState[]> {
  if (!hasBudgets(budgets)) return [];
  const { db, sdk } = await store.connect();
  const answer = await db.send(
    new sdk.GetItemCommand({
      TableName: store.tableName,
      Key: { pk: { S: `C#${consumer}` }, sk: { S: counters(at).sk } },
      ConsistentRead: true,
    }),
    within(STORE_CALL_MS),
  );
  return budgetStates(budgets, answer.Item, at);
}

/** A reservation, to settle once the request's real use is known. */
export interface Reservation {
  consumer: string;
  sk: string;
  /** The minute the tokens were reserved in, when there is a minute budget. */
  minute: string | undefined;
  charge: Charge;
  /** When it was made: the windows it was counted in, which its settlement corrects. */
  at: Date;
  /** The month's tokens after the reservation. */
  monthTokens: number;
}

// The minute this container last saw each consumer's item in: the first try of a reservation guesses
// right (one store call) except in a minute's first request.
const lastMinute = new Map<string, string>();

/**
 * Reserves `charge` against the consumer's budgets (one conditional UpdateItem; a second at a minute's turn).
 * @throws TooManyRequestsError (`budget_exceeded`) when a budget has no room; the store's error otherwise.
 */
export async function reserve(store: UsageStore, consumer: string, budgets: Budgets, charge: Charge, at: Date): Promise<Reservation> {
  const { sk, minute, attribute } = counters(at);
  const pk = `C#${consumer}`;
  const withMinute = budgets.tokensPerMinute !== undefined;
  // A request that asks for more images or jobs than a whole day allows is refused without a store call.
  assertWithinBudgets(consumer, budgetStates(budgets, { minute: { S: minute } }, at), at, charge);
  const { db, sdk } = await store.connect();
  for (let sameMinute = lastMinute.get(pk) === minute, tries = 0; ; sameMinute = !sameMinute, tries++) {
    const names: Record<string, string> = { '#tm': attribute.tokensPerMonth, '#td': attribute.tokensPerDay };
    const values: Record<string, { N: string } | { S: string }> = {
      ':t': { N: String(charge.tokens) },
      ':ttl': { N: String(Math.floor(at.getTime() / 1000) + WINDOW_TTL_SECONDS.month) },
    };
    const adds = ['#tm :t', '#td :t'];
    const sets = ['expiresAt = if_not_exists(expiresAt, :ttl)'];
    const conditions: string[] = [];
    if (charge.images > 0) {
      names['#im'] = attribute.imagesPerDay;
      values[':i'] = { N: String(charge.images) };
      adds.push('#im :i');
    }
    if (charge.studioJobs > 0) {
      names['#jb'] = attribute.studioJobsPerDay;
      values[':j'] = { N: String(charge.studioJobs) };
      adds.push('#jb :j');
    }
    const room = (key: BudgetKey, name: string) => {
      const limit = budgets[key];
      if (limit === undefined) return;
      const asked = chargedOf(key, charge);
      if (BUDGET_UNIT[key] !== 'tokens' && asked === 0) return;
      // Tokens need room left; counted things need room for this request's count.
      const most = BUDGET_UNIT[key] === 'tokens' ? limit - 1 : limit - asked;
      values[`:max_${key}`] = { N: String(most) };
      conditions.push(`(attribute_not_exists(${name}) OR ${name} <= :max_${key})`);
    };
    room('tokensPerMonth', '#tm');
    room('tokensPerDay', '#td');
    room('imagesPerDay', '#im');
    room('studioJobsPerDay', '#jb');
    if (withMinute) {
      names['#mi'] = 'minute';
      names['#mt'] = attribute.tokensPerMinute;
      values[':minute'] = { S: minute };
      values[':max_minute'] = { N: String((budgets.tokensPerMinute as number) - 1) };
      if (sameMinute) {
        conditions.push('#mi = :minute AND #mt <= :max_minute');
        adds.push('#mt :t');
      } else {
        conditions.push('(attribute_not_exists(#mi) OR #mi <> :minute)');
        sets.push('#mi = :minute', '#mt = :t');
      }
    }
    try {
      const answer = await db.send(
        new sdk.UpdateItemCommand({
          TableName: store.tableName,
          Key: { pk: { S: pk }, sk: { S: sk } },
          UpdateExpression: `SET ${sets.join(', ')} ADD ${adds.join(', ')}`,
          ...(conditions.length === 0 ? {} : { ConditionExpression: conditions.join(' AND ') }),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        within(STORE_CALL_MS),
      );
      if (withMinute) lastMinute.set(pk, minute);
      const monthTokens = Number(answer.Attributes?.tokens?.N ?? 0);
      return { consumer, sk, minute: withMinute ? minute : undefined, charge, at, monthTokens };
    } catch (err) {
      if (!(err instanceof sdk.ConditionalCheckFailedException)) throw err;
      const old = await itemAtFailure(store, { pk: { S: pk }, sk: { S: sk } }, err, STORE_CALL_MS);
      if (withMinute) lastMinute.set(pk, old?.minute?.S ?? '');
      // A wrong guess of the minute is tried again the other way; a budget without room is the answer.
      assertWithinBudgets(consumer, budgetStates(budgets, old, at), at, charge);
      if (tries >= 2) throw new Error('the budget reservation kept failing its condition', { cause: err });
    }
  }
}

const settlements = new WriteCoalescer<number>();

/**
 * Adds the difference between the real use and the reservation (coalesced per item, see coalesce.ts).
 * @returns the month's tokens after it. @throws the store's error.
 */
export async function settle(store: UsageStore, reservation: Reservation, used: Charge): Promise<number> {
  const delta = {
    t: used.tokens - reservation.charge.tokens,
    i: used.images - reservation.charge.images,
    j: used.studioJobs - reservation.charge.studioJobs,
  };
  if (delta.t === 0 && delta.i === 0 && delta.j === 0) return reservation.monthTokens;
  // The windows are the reservation's: settled just after midnight, the correction still belongs to its day.
  const { attribute } = counters(reservation.at);
  const { db, sdk } = await store.connect();
  const pk = `C#${reservation.consumer}`;
  const key = `${pk} ${reservation.sk} ${reservation.minute ?? ''}`;
  return settlements.add(key, delta, async (sum) => {
    const write = async (withMinute: boolean) => {
      const names: Record<string, string> = {
        '#tm': attribute.tokensPerMonth,
        '#td': attribute.tokensPerDay,
        '#im': attribute.imagesPerDay,
        '#jb': attribute.studioJobsPerDay,
      };
      const values: Record<string, { N: string } | { S: string }> = {
        ':t': { N: String(sum.t ?? 0) },
        ':i': { N: String(sum.i ?? 0) },
        ':j': { N: String(sum.j ?? 0) },
      };
      const adds = ['#tm :t', '#td :t', '#im :i', '#jb :j'];
      if (withMinute) {
        names['#mi'] = 'minute';
        names['#mt'] = attribute.tokensPerMinute;
        values[':minute'] = { S: reservation.minute as string };
        adds.push('#mt :t');
      }
      const answer = await db.send(
        new sdk.UpdateItemCommand({
          TableName: store.tableName,
          Key: { pk: { S: pk }, sk: { S: reservation.sk } },
          UpdateExpression: `ADD ${adds.join(', ')}`,
          ...(withMinute ? { ConditionExpression: '#mi = :minute' } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_NEW',
        }),
        within(SETTLE_MS),
      );
      return Number(answer.Attributes?.tokens?.N ?? 0);
    };
    if (reservation.minute === undefined) return write(false);
    // The minute the tokens were reserved in may be over: its count is moot then, the rest still applies.
    return write(true).catch((err: unknown) => {
      if (err instanceof sdk.ConditionalCheckFailedException) return write(false);
      throw err;
    });
  });
}

/** A settlement runs after the answer (the client does not wait), so a briefly slow store costs no correction. */
const SETTLE_MS = 3_000;
