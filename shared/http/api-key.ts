/** API keys as API Gateway issues them, and naming one in logs without writing the key. */
import { createHash } from 'node:crypto';

/** An API Gateway API key: 20-128 characters; generated ones are letters and digits. A regex source. */
export const API_KEY_PATTERN = '[A-Za-z0-9_-]{20,128}';

/**
 * A stable, non-reversible name for an API key (`key-` and 16 hex digits of its SHA-256): the authorizer's
 * principal, and the local server's stand-in for API Gateway's API key id.
 */
export function keyFingerprint(key: string): string {
  return `key-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}
