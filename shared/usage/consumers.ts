/**
 * Who the API keys belong to: `CONSUMERS`, a JSON list of `{ "apiKeyId": "...", "name": "..." }` that the
 * stack writes from CDK context `consumers` (API Gateway hands a function the matched key's id, never its
 * name) and `npm start` writes from `LOCAL_API_KEYS`. Logs, metrics and the usage ledger name the consumer.
 */

/** One consumer: the name its usage is recorded under. */
export interface ConsumerInfo {
  name: string;
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
    map.set(apiKeyId, { name });
  }
  return map;
}

/**
 * The consumer's name for an API key id: its configured name, else the id itself (a key added outside the
 * stack still gets its own ledger), `anonymous` without a key (local runs without `LOCAL_API_KEYS`).
 */
export function consumerName(consumers: ConsumerMap, apiKeyId: string | null | undefined): string {
  if (apiKeyId === null || apiKeyId === undefined || apiKeyId === '') return 'anonymous';
  return consumers.get(apiKeyId)?.name ?? apiKeyId;
}
