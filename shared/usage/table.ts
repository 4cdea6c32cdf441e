/**
 * The usage table's key schema, one truth for the stack (CDK) and `npm start`'s embedded store: string
 * partition key `pk`, string sort key `sk`, TTL attribute `expiresAt` (epoch seconds). See `ledger.ts` for
 * what the keys hold.
 */
export const USAGE_TABLE_SCHEMA = { partitionKey: 'pk', sortKey: 'sk', timeToLiveAttribute: 'expiresAt' } as const;

/**
 * How long each window's items are kept (TTL, from their first write): minute totals a day, day windows three
 * months, month windows two years, the limiter's buckets a day after their last use.
 */
export const WINDOW_TTL_SECONDS = { minute: 86_400, day: 93 * 86_400, month: 731 * 86_400 } as const;
