/**
 * Who the API keys belong to: `CONSUMERS`, a JSON list of `{ "apiKeyId": "...", "name": "...", budgets }`
 * that the stack writes from CDK context `consumers` (API Gateway hands a function the matched key's id,
 * never its name) and `npm start` writes from `LOCAL_API_KEYS` and `LOCAL_BUDGETS`. Logs, metrics and the
 * usage ledger name the consumer; its budgets cap the tokens it may use per minute, day and month.
 */

/** Token budgets of one consumer (prompt + completion tokens, UTC windows); each is optional. */
export interface Budgets {
  tokensPerMinute?: number;
  tokensPerDay?: number;
  tokensPerMonth?: number;
}

/** The budget settings, in the order they are checked. */
export const BUDGET_KEYS = ['tokensPerMinute', 'tokensPerDay', 'tokensPerMonth'] as const;

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
      throw new Error(`${where}: "${key}" must be a whole number of tokens greater than 0`);
    }
    budgets[key] = value;
  }
  return budgets;
}

/** API key id → consumer. */
export type ConsumerMap = ReadonlyMap<string, ConsumerInfo>;

/** A consumer name: letters, digits, `.`, `_`, `-` (it is part of the ledger's keys and of log lines). */
export const CONSUMER_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

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
      throw new Error(`CONSUMERS: entry ${i}: "name" must be 1 to 64 letters, digits, ".", "_" or "-"`);
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
