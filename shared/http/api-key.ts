/** Naming an API key in logs without writing the key. */
import { createHash } from 'node:crypto';

/**
 * A stable, non-reversible name for an API key (`key-` and 16 hex digits of its SHA-256): the authorizer's
 * principal, and the local server's stand-in for API Gateway's API key id.
 */
export function keyFingerprint(key: string): string {
  return `key-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}
