import { describe, expect, it } from 'vitest';
import { RequestAbortedError } from '#shared/errors.ts';
import { parseRetryAfter, sleep, workDeadlineMs } from '#shared/time.ts';

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3);
    expect(parseRetryAfter('1.5')).toBe(1.5);
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:05 GMT', now)).toBe(5);
    expect(parseRetryAfter('Sun, 22 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });

  it('ignores absent and garbage values', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('sleep', () => {
  it('rejects with RequestAbortedError when aborted, before or during the wait', async () => {
    await expect(sleep(10, AbortSignal.abort())).rejects.toBeInstanceOf(RequestAbortedError);
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(RequestAbortedError);
  });

  it('resolves after the wait', async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
  });
});

describe('workDeadlineMs', () => {
  const context = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs });
  it('keeps 5 s of the function time back, caps at the configured maximum, and allows at least 1 s', () => {
    expect(workDeadlineMs(context(60_000), 240_000)).toBe(55_000);
    expect(workDeadlineMs(context(900_000), 240_000)).toBe(240_000);
    expect(workDeadlineMs(context(3_000), 240_000)).toBe(1_000);
  });
});
