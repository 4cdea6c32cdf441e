/**
 * `GET /v1/usage`: the calling consumer's own usage from the ledger, today and this month (UTC), in total
 * and per model. The consumer comes from the API key the gateway matched, never from the request, so a
 * consumer cannot read another's usage.
 */
import { ServiceUnavailableError, type JsonResponse } from '#shared/errors.ts';
import { jsonResponse } from '#shared/http/response.ts';
import { logger } from '#shared/observability.ts';
import type { Ledger, UsageWindow } from '#shared/usage/ledger.ts';

/** The answer's shape (documented in the README). */
export interface UsageAnswer {
  object: 'usage';
  consumer: string;
  today: UsageWindow;
  this_month: UsageWindow;
}

/** Reads the consumer's usage. @throws ServiceUnavailableError when there is no ledger or the store fails. */
export async function usageAnswer(consumer: string, ledger: Ledger | null, now = new Date()): Promise<JsonResponse> {
  if (ledger === null) throw new ServiceUnavailableError('No usage ledger is configured (USAGE_TABLE).', { code: 'ledger_unavailable' });
  try {
    const usage = await ledger.read(consumer, now);
    const answer: UsageAnswer = { object: 'usage', consumer, ...usage };
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
