/**
 * IONOS's contract limit as the simulator enforces it: a token bucket per API token with a sustained rate
 * and a burst (defaults 5 req/s and 10, as IONOS documents), reported in `X-RateLimit-*` headers.
 */

/** Limit settings; `rps: 0` switches the limiter off (fast mode). */
export interface RateLimit {
  rps: number;
  burst: number;
}

/** The decision for one request. */
export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
  retryAfterSeconds?: number;
}

/** A token-bucket limiter keyed by caller. */
export class RateLimiter {
  #buckets = new Map<string, { tokens: number; at: number }>();
  limit: RateLimit;

  constructor(limit: RateLimit) {
    this.limit = limit;
  }

  /** Takes one request from `key`'s bucket. */
  take(key: string, now = Date.now()): RateDecision {
    const { rps, burst } = this.limit;
    const headers = { 'x-ratelimit-limit': String(rps * 60), 'x-ratelimit-burst': String(burst) };
    if (rps <= 0) return { allowed: true, headers: { ...headers, 'x-ratelimit-remaining': String(burst) } };
    const bucket = this.#buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rps);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, headers: { ...headers, 'x-ratelimit-remaining': String(Math.floor(bucket.tokens)) } };
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / rps));
    return { allowed: false, retryAfterSeconds, headers: { ...headers, 'x-ratelimit-remaining': '0' } };
  }

  /** Forgets all buckets. */
  reset(): void {
    this.#buckets.clear();
  }
}
