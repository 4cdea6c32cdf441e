/**
 * The function's usage ledger, from configuration (`USAGE_TABLE`, `DYNAMODB_ENDPOINT`), and the one way
 * requests are recorded: after the answer, never failing it (fail-open: an unwritten entry is logged with
 * its counts and counted as `LedgerWriteFailures`, which has an alarm).
 */
import { getConfig } from '#shared/config.ts';
import { afterResponse } from '#shared/http/after-response.ts';
import { recordLedgerFailure } from '#shared/metrics.ts';
import { logger } from '#shared/observability.ts';
import { createLedger, type Ledger, type UsageEntry } from '#shared/usage/ledger.ts';

let ledger: Ledger | null | undefined;

/** The ledger, or null when no table is configured (unit tests; nothing is recorded then). */
export function usageLedger(): Ledger | null {
  if (ledger === undefined) {
    const { usageTable, dynamoDbEndpoint } = getConfig();
    ledger = usageTable === undefined ? null : createLedger({ tableName: usageTable, endpoint: dynamoDbEndpoint });
  }
  return ledger;
}

/** Records one request's usage once its answer is out (see `afterResponse`). */
export function recordUsage(entry: UsageEntry): void {
  const target = usageLedger();
  if (target === null) return;
  afterResponse(
    target.record(entry).catch((err: unknown) => {
      recordLedgerFailure();
      logger.error('usage ledger write failed', { entry, error: err as Error });
    }),
  );
}
