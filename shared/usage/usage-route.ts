/**
 * `GET /v1/usage`: the calling consumer's own usage from the ledger, today and this month (UTC), in total
 * and per model, and each of its budgets with what remains of it. The consumer comes from the API key the gateway matched, never from the request, so a
 * consumer cannot read another's usage.
 */
import { ServiceUnavailableError, type JsonResponse } from '#shared/errors.ts';
import { jsonResponse } from '#shared/http/json-response.ts';
import { logger } from '#shared/logger.ts';
import type { BudgetState } from '#shared/usage/budgets.ts';
import type { Ledger, UsageWindow } from '#shared/usage/ledger.ts';

/** The answer's shape (documented in docs/usage-and-limits.md). */
export interface UsageAnswer {
  object: 'usage';
  consumer: string;
  today: UsageWindow;
  this_month: UsageWindow;
  /** One entry per budget the consumer has (none: an empty list). */
  budgets: { budget: string; limit: number; used: number; remaining: number; resets_at: string }[];
}

/** Reads the consumer's usage. @throws ServiceUnavailableError when there is no ledger or the store fails. */
export async function usageAnswer(
  consumer: string,
  ledger: Ledger | null,
  budgetUse: (consumer: string, at: Date) => Promise<BudgetState[] | null>,
  now = new Date(),
): Promise<JsonResponse> {
  if (ledger === null) throw new ServiceUnavailableError('No usage ledger is configured (USAGE_TABLE).', { code: 'ledger_unavailable' });
  try {
    const [usage, budgets] = await Promise.all([ledger.read(consumer, now), budgetUse(consumer, now)]);
    if (budgets === null) throw new Error('the budgets could not be read');
    const answer: UsageAnswer = {
      object: 'usage',
      consumer,
      ...usage,
      budgets: budgets.map((b) => ({
        budget: b.budget,
        limit: b.limit,
        used: b.used,
        remaining: Math.max(0, b.limit - b.used),
        resets_at: b.resetsAt,
      })),
    };
    return jsonResponse(200, answer, { 'cache-control': 'no-store' });
  } catch (err) {
    logger.error('usage ledger read failed', { consumer, error: err as Error });
    throw new ServiceUnavailableError('The usage ledger cannot be read right now; try again shortly.', {
      code: 'ledger_unavailable',
      retryAfterSeconds: 5,
      cause: err,
    });
  }
}
