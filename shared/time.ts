/** Small time helpers shared by the handlers and the upstream clients. */
import type { Context } from 'aws-lambda';
import { RequestAbortedError } from '#shared/errors.ts';

// Time kept back from the function timeout, so a deadline error is still answered instead of being cut off.
const DEADLINE_MARGIN_MS = 5_000;

/** How long one request's work (an agent run, a Studio job) may take: at most `maxMs`, and 5 s less than the function has left (at least 1 s). */
export function workDeadlineMs(context: Pick<Context, 'getRemainingTimeInMillis'>, maxMs: number): number {
  return Math.max(1_000, Math.min(maxMs, context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS));
}

/** Waits `ms`, or rejects with RequestAbortedError as soon as `signal` aborts. Leaves no timer behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new RequestAbortedError(signal.reason));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new RequestAbortedError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Parses a `Retry-After` header (delta-seconds or an HTTP date) into seconds from `now`.
 * @returns undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value == null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

/**
 * Settles with `promise`, or rejects with RequestAbortedError as soon as `signal` aborts: for work that
 * cannot be cancelled itself (a library call without a signal), so the caller stops waiting for it.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(new RequestAbortedError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new RequestAbortedError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
