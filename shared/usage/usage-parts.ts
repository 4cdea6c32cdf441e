/**
 * The function's handles on the usage table, from configuration (`USAGE_TABLE`, `DYNAMODB_ENDPOINT`,
 * `IONOS_*` limits): the table, the ledger and the contract limiter, each created once per container, and
 * the read of a consumer's budgets for `GET /v1/usage`. What is done with them on a request's way to IONOS
 * (admission, limiting, settlement, the ledger entry) is the pipeline's (`pipeline/hub-request.ts`).
 */
import { getConfig } from '#shared/config.ts';
import { recordStoreFailure } from '#shared/metrics.ts';
import { logger } from '#shared/logger.ts';
import { readBudgets, type BudgetState } from '#shared/usage/budgets.ts';
import { currentConsumers } from '#shared/usage/current-consumers.ts';
import { budgetsOf } from '#shared/usage/consumer-settings.ts';
import { createContractLimiter, type ContractLimiter } from '#shared/usage/contract.ts';
import { createLedger, type Ledger } from '#shared/usage/ledger.ts';
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

let limiter: ContractLimiter | null | undefined;

/** The IONOS contract's limiter, or null without a usage table. */
export function contractLimiter(): ContractLimiter | null {
  if (limiter === undefined) {
    const table = usageStore();
    limiter = table === null ? null : createContractLimiter(table, getConfig().contract);
  }
  return limiter;
}

/**
 * The consumer's budgets with what it used (reservations in flight included), or null when the store could
 * not be read. No budgets, no store call.
 */
export async function budgetUse(consumer: string, at = new Date()): Promise<BudgetState[] | null> {
  const table = usageStore();
  if (table === null) return [];
  try {
    return await readBudgets(table, consumer, budgetsOf(currentConsumers(), consumer), at);
  } catch (err) {
    recordStoreFailure('budgets');
    logger.error('budget read failed', { consumer, error: err as Error });
    return null;
  }
}
