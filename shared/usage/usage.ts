/**
 * The function's use of the usage table, from configuration (`USAGE_TABLE`, `DYNAMODB_ENDPOINT`,
 * `CONSUMERS`, `IONOS_*` limits): budgets checked before a request goes to IONOS, the contract's slot taken
 * before each Hub call, and usage recorded after the answer. All three fail open: a store that is down,
 * slow or throttled never fails a request (IONOS still enforces its contract with its own 429s, which we
 * relay or wait out; an unwritten entry is logged with its counts); each failure is counted in its metric,
 * which has an alarm.
 */
import { getConfig } from '#shared/config.ts';
import { TooManyRequestsError } from '#shared/errors.ts';
import { afterResponse } from '#shared/http/after-response.ts';
import { recordConsumerUsage, recordMonthlyBudgetUse, recordRejected, recordStoreFailure } from '#shared/metrics.ts';
import { logger } from '#shared/observability.ts';
import { assertWithinBudgets, budgetedWindows, budgetStates, tokensUsed, type BudgetState } from '#shared/usage/budgets.ts';
import { currentConsumers } from '#shared/usage/consumer-map.ts';
import { budgetsOf } from '#shared/usage/consumers.ts';
import { createContractLimiter, type ContractBucket, type ContractSlot } from '#shared/usage/contract.ts';
import { createLedger, type Ledger, type UsageEntry } from '#shared/usage/ledger.ts';
import { openUsageStore, type UsageStore } from '#shared/usage/store.ts';

let store: UsageStore | null | undefined;

/** The usage table, or null when none is configured (unit tests; nothing is recorded or enforced then). */
export function usageStore(): UsageStore | null {
  if (store === undefined) {
    const { usageTable, dynamoDbEndpoint } = getConfig();
    store = usageTable === undefined ? null : openUsageStore({ tableName: usageTable, endpoint: dynamoDbEndpoint });
  }
  return store;
}

let ledger: Ledger | null | undefined;

/** The ledger, or null without a usage table. */
export function usageLedger(): Ledger | null {
  if (ledger === undefined) {
    const table = usageStore();
    ledger = table === null ? null : createLedger(table);
  }
  return ledger;
}

/** Records one request's usage once its answer is out (see `afterResponse`). */
export function recordUsage(entry: UsageEntry): void {
  const target = usageLedger();
  if (target === null) return;
  const budgets = budgetsOf(currentConsumers(), entry.consumer);
  // The metrics do not depend on the store; the budget share does (the write returns the month's total).
  recordConsumerUsage(entry.consumer, (entry.promptTokens ?? 0) + (entry.completionTokens ?? 0));
  const { tokensPerMonth } = budgets;
  afterResponse(
    target.record(entry, new Date(), budgetedWindows(budgets)).then(
      (totals) => {
        if (tokensPerMonth !== undefined) recordMonthlyBudgetUse(entry.consumer, ((totals.month ?? 0) / tokensPerMonth) * 100);
      },
      (err: unknown) => {
        recordStoreFailure('ledger');
        logger.error('usage ledger write failed', { entry, error: err as Error });
      },
    ),
  );
}

/**
 * The consumer's budgets with what it used, or null when the store could not be read (fail-open).
 * No budgets, no store call.
 */
export async function budgetUse(consumer: string, at = new Date()): Promise<BudgetState[] | null> {
  const budgets = budgetsOf(currentConsumers(), consumer);
  const windows = budgetedWindows(budgets);
  const table = usageStore();
  if (windows.length === 0 || table === null) return [];
  try {
    return budgetStates(budgets, await tokensUsed(table, consumer, windows, at), at);
  } catch (err) {
    recordStoreFailure('budgets');
    logger.error('budget check failed; letting the request through', { consumer, error: err as Error });
    return null;
  }
}

/** Refuses a consumer over one of its budgets. @throws TooManyRequestsError (`budget_exceeded`). */
export async function enforceBudgets(consumer: string): Promise<void> {
  const at = new Date();
  const states = await budgetUse(consumer, at);
  try {
    if (states !== null) assertWithinBudgets(consumer, states, at);
  } catch (err) {
    recordRejected(consumer, 'budget_exceeded');
    throw err;
  }
}

/**
 * The contract limiter for the Hub and Studio clients, or undefined without a usage table. A refusal (429
 * `contract_rate_limited`) passes on; a store failure lets the call through (fail-open).
 */
export function contractSlot(): ContractSlot | undefined {
  const table = usageStore();
  if (table === null) return undefined;
  const limiter = createContractLimiter(table, getConfig().contract);
  return async (buckets: readonly ContractBucket[], waitUntil?: number, signal?: AbortSignal) => {
    try {
      await limiter.take(buckets, waitUntil, signal);
    } catch (err) {
      if (err instanceof TooManyRequestsError || signal?.aborted === true) throw err;
      recordStoreFailure('limiter');
      logger.error('contract limiter failed; letting the call through', { error: err as Error });
    }
  };
}
