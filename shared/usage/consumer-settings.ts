/**
 * Who the API keys belong to: `CONSUMERS`, a JSON list of `{ "apiKeyId": "...", "name": "...", budgets }`
 * that the stack writes from CDK context `consumers` (API Gateway hands a function the matched key's id,
 * never its name) and `npm start` writes from `LOCAL_API_KEYS` and `LOCAL_BUDGETS`. Logs, metrics and the
 * usage ledger name the consumer; its budgets cap the tokens it may use per minute, day and month.
 */

/**
 * What one consumer may use (UTC windows; each is optional): tokens (prompt + completion) per minute, day
 * and month, image generations per day, Studio jobs per day, and its share of the IONOS contract's rate.
 */
export interface Budgets {
  tokensPerMinute?: number;
  tokensPerDay?: number;
  tokensPerMonth?: number;
  imagesPerDay?: number;
  studioJobsPerDay?: number;
  /** The most of the contract's request (and image) rate this consumer may take, 0 < share <= 1; see {@link shareOf}. */
  contractShare?: number;
}

/** The budget settings, in the order they are checked. */
export const BUDGET_KEYS = ['tokensPerMinute', 'tokensPerDay', 'tokensPerMonth', 'imagesPerDay', 'studioJobsPerDay'] as const;

/** A budget setting. */
export type BudgetKey = (typeof BUDGET_KEYS)[number];

/** What each budget counts. */
export const BUDGET_UNIT: Record<BudgetKey, 'tokens' | 'images' | 'Studio jobs'> = {
  tokensPerMinute: 'tokens',
  tokensPerDay: 'tokens',
  tokensPerMonth: 'tokens',
  imagesPerDay: 'images',
  studioJobsPerDay: 'Studio jobs',
};

/**
 * A consumer's share of the contract when it sets none: half, so no one consumer can take every slot of a
 * contract that all share. `anonymous` (a local run without API keys, the only consumer there is) has it all.
 */
export const DEFAULT_CONTRACT_SHARE = 0.5;

/** The share of the contract a consumer may take. */
export function shareOf(consumer: string, budgets: Budgets): number {
  return budgets.contractShare ?? (consumer === 'anonymous' ? 1 : DEFAULT_CONTRACT_SHARE);
}

/** One consumer: the name its usage is recorded under, and its budgets. */
export interface ConsumerInfo {
  name: string;
  budgets: Budgets;
}

/**
 * Reads the budget settings of one entry (`where` names it in errors); other keys are left to the caller.
 * @throws Error naming the setting that is wrong.
 */
export function parseBudgets(entry: Record<string, unknown>, where: string): Budgets {
  const budgets: Budgets = {};
  for (const key of BUDGET_KEYS) {
    const value = entry[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new Error(`${where}: "${key}" must be a whole number of ${BUDGET_UNIT[key]} greater than 0`);
    }
    budgets[key] = value;
  }
  const share = entry.contractShare;
  if (share !== undefined) {
    if (typeof share !== 'number' || !(share > 0 && share <= 1))
      throw new Error(`${where}: "contractShare" must be a number above 0 and at most 1`);
    budgets.contractShare = share;
  }
  return budgets;
}

/** API key id → consumer. */
export type ConsumerMap = ReadonlyMap<string, ConsumerInfo>;

/**
 * A consumer name, wherever one is given (CDK context, `CONSUMERS`, `LOCAL_API_KEYS`): letters, digits and
 * `-`, as it is part of the ledger's keys, of log lines, and of the stack's API key and output names.
 */
export const CONSUMER_NAME_PATTERN = /^[A-Za-z0-9-]{1,64}$/;

/** What CONSUMER_NAME_PATTERN asks for, in words. */
export const CONSUMER_NAME_RULE = '1 to 64 letters, digits or "-"';

/**
 * Parses `CONSUMERS`.
 * @throws Error naming the entry that is wrong.
 */
export function parseConsumers(json: string | undefined): ConsumerMap {
  const map = new Map<string, ConsumerInfo>();
  if (json === undefined) return map;
  let list: unknown;
  try {
    list = JSON.parse(json);
  } catch {
    throw new Error('CONSUMERS: must be JSON, a list of {"apiKeyId": "...", "name": "..."}');
  }
  if (!Array.isArray(list)) throw new Error('CONSUMERS: must be a JSON list of {"apiKeyId": "...", "name": "..."}');
  for (const [i, entry] of list.entries()) {
    const { apiKeyId, name } = (entry ?? {}) as { apiKeyId?: unknown; name?: unknown };
    if (typeof apiKeyId !== 'string' || apiKeyId === '') throw new Error(`CONSUMERS: entry ${i}: "apiKeyId" must be a non-empty string`);
    if (typeof name !== 'string' || !CONSUMER_NAME_PATTERN.test(name)) {
      throw new Error(`CONSUMERS: entry ${i}: "name" must be ${CONSUMER_NAME_RULE}`);
    }
    map.set(apiKeyId, { name, budgets: parseBudgets(entry as Record<string, unknown>, `CONSUMERS: entry ${i}`) });
  }
  return map;
}

/** The budgets of a consumer by name (none for a consumer not in the map). */
export function budgetsOf(consumers: ConsumerMap, name: string): Budgets {
  for (const info of consumers.values()) if (info.name === name) return info.budgets;
  return {};
}

/**
 * The consumer's name for an API key id: its configured name, else the id itself (a key added outside the
 * stack still gets its own ledger), `anonymous` without a key (local runs without `LOCAL_API_KEYS`).
 */
export function consumerName(consumers: ConsumerMap, apiKeyId: string | null | undefined): string {
  if (apiKeyId === null || apiKeyId === undefined || apiKeyId === '') return 'anonymous';
  return consumers.get(apiKeyId)?.name ?? apiKeyId;
}
