/**
 * The usage table's key schema, one truth for the stack (CDK) and `npm start`'s embedded store: string
 * partition key `pk`, string sort key `sk`, TTL attribute `expiresAt` (epoch seconds). See `ledger.ts` for
 * what the keys hold.
 */
export const USAGE_TABLE_SCHEMA = { partitionKey: 'pk', sortKey: 'sk', timeToLiveAttribute: 'expiresAt' } as const;
