/**
 * Token budgets: a consumer may use at most `tokensPerMinute`, `tokensPerDay` and `tokensPerMonth` tokens
 * (prompt + completion, UTC windows). Before a request goes to IONOS, the consumer's totals of its budgeted
 * windows are read (one strongly consistent BatchGetItem); a window already at or over its budget answers
 * 429 `budget_exceeded` with `Retry-After` until the window resets.
 *
 * Tokens are known only once an answer is complete, so a budget is checked before and charged after: the
 * overshoot is bounded by the requests already in flight when the budget ran out (each at most its own
 * `max_tokens`), never by requests that start afterwards.
 */
import { TooManyRequestsError } from '#shared/errors.ts';
import { BUDGET_KEYS, type Budgets } from '#shared/usage/consumers.ts';
import { STORE_CALL_MS, within, type UsageStore } from '#shared/usage/store.ts';

/** A budget's window (UTC). */
export type BudgetWindow = 'minute' | 'day' | 'month';

const WINDOW_OF: Record<(typeof BUDGET_KEYS)[number], BudgetWindow> = {
  tokensPerMinute: 'minute',
  tokensPerDay: 'day',
  tokensPerMonth: 'month',
};

/** A window at a time: its id (`2026-11-23T15:04`, `2026-11-23`, `2026-11`) and when the next one starts. */
export function budgetWindowAt(window: BudgetWindow, at: Date): { id: string; resetsAt: Date } {
  const iso = at.toISOString();
  const [y, m, d, h, min] = [at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate(), at.getUTCHours(), at.getUTCMinutes()];
  if (window === 'minute') return { id: iso.slice(0, 16), resetsAt: new Date(Date.UTC(y, m, d, h, min + 1)) };
  if (window === 'day') return { id: iso.slice(0, 10), resetsAt: new Date(Date.UTC(y, m, d + 1)) };
  return { id: iso.slice(0, 7), resetsAt: new Date(Date.UTC(y, m + 1, 1)) };
}

/** The sort key of a consumer's totals item for a window (all models). */
export const totalsKey = (window: BudgetWindow, at: Date) => `T#${budgetWindowAt(window, at).id}`;

/** The windows a consumer has budgets for. */
export function budgetedWindows(budgets: Budgets): BudgetWindow[] {
  return BUDGET_KEYS.filter((k) => budgets[k] !== undefined).map((k) => WINDOW_OF[k]);
}

/** Tokens used so far in each window (strongly consistent). @throws the store's error. */
export async function tokensUsed(
  store: UsageStore,
  consumer: string,
  windows: readonly BudgetWindow[],
  at: Date,
): Promise<Record<BudgetWindow, number>> {
  const used: Record<BudgetWindow, number> = { minute: 0, day: 0, month: 0 };
  if (windows.length === 0) return used;
  const { db, sdk } = await store.connect();
  const keys = new Map(windows.map((w) => [totalsKey(w, at), w]));
  const answer = await db.send(
    new sdk.BatchGetItemCommand({
      RequestItems: {
        [store.tableName]: {
          Keys: [...keys.keys()].map((sk) => ({ pk: { S: `C#${consumer}` }, sk: { S: sk } })),
          ConsistentRead: true,
          ProjectionExpression: 'sk, tokens',
        },
      },
    }),
    within(STORE_CALL_MS),
  );
  if (Object.keys(answer.UnprocessedKeys ?? {}).length > 0) throw new Error('the store left budget totals unread (UnprocessedKeys)');
  for (const item of answer.Responses?.[store.tableName] ?? []) {
    const w = keys.get(item.sk?.S ?? '');
    if (w !== undefined) used[w] = Number(item.tokens?.N ?? 0);
  }
  return used;
}

/** One budget's state: what it allows, what was used, and when its window resets. */
export interface BudgetState {
  budget: (typeof BUDGET_KEYS)[number];
  limit: number;
  used: number;
  resetsAt: string;
}

/** Each budget with its use (for `GET /v1/usage`). */
export function budgetStates(budgets: Budgets, used: Record<BudgetWindow, number>, at: Date): BudgetState[] {
  return BUDGET_KEYS.flatMap((budget) => {
    const limit = budgets[budget];
    if (limit === undefined) return [];
    const window = WINDOW_OF[budget];
    return [{ budget, limit, used: used[window], resetsAt: budgetWindowAt(window, at).resetsAt.toISOString() }];
  });
}

/** @throws TooManyRequestsError (`budget_exceeded`) naming the first budget used up, `Retry-After` until its window resets. */
export function assertWithinBudgets(consumer: string, states: readonly BudgetState[], at: Date): void {
  const over = states.filter((s) => s.used >= s.limit);
  if (over.length === 0) return;
  // The one that resets last decides when a request can pass again.
  const last = over.reduce((a, b) => (Date.parse(b.resetsAt) > Date.parse(a.resetsAt) ? b : a));
  throw new TooManyRequestsError(
    `Consumer "${consumer}" has used its ${last.budget} budget (${last.used} of ${last.limit} tokens); it resets at ${last.resetsAt}.`,
    { code: 'budget_exceeded', retryAfterSeconds: (Date.parse(last.resetsAt) - at.getTime()) / 1000 },
  );
}
