// Days to expiry of the IONOS token (a JWT), reported by the functions and the smoke test.
import { describe, expect, it, vi } from 'vitest';
import { createCredentialStore } from '#shared/credentials.ts';
import { createExpiryWatcher, tokenDaysToExpiry } from '#shared/ionos/token-expiry.ts';
import { logger } from '#shared/logger.ts';
import { tokenExpiryCheck } from '#shared/smoke/checks.ts';
import { jwtExpiringIn } from '#test/helpers/jwt.ts';

const NOW = Date.parse('2026-11-23T12:00:00Z');

describe('IONOS token expiry', () => {
  it('reads the days left from the exp claim, and nothing from tokens that are not JWTs with one', () => {
    expect(tokenDaysToExpiry(jwtExpiringIn(30, NOW), NOW)).toBeCloseTo(30, 3);
    expect(tokenDaysToExpiry(jwtExpiringIn(-2, NOW), NOW)).toBeCloseTo(-2, 3);
    expect(tokenDaysToExpiry('sim-ionos-token', NOW)).toBeUndefined();
    expect(tokenDaysToExpiry('a.%%%.c', NOW)).toBeUndefined();
    expect(tokenDaysToExpiry(`x.${Buffer.from('{"sub":"me"}').toString('base64url')}.y`, NOW)).toBeUndefined();
  });

  it('reports once per interval, and again at once for a new token', () => {
    let now = NOW;
    const reported: number[] = [];
    const watch = createExpiryWatcher(
      (days) => reported.push(Math.round(days)),
      3_600_000,
      () => now,
    );
    const first = jwtExpiringIn(30, NOW);
    watch(first);
    watch(first);
    now += 3_600_001;
    watch(first);
    watch(jwtExpiringIn(300, now));
    expect(reported).toEqual([30, 30, 300]);
  });

  it('is a smoke check that fails once the token has expired', () => {
    expect(tokenExpiryCheck(12.7)).toMatchObject({ ok: true, detail: 'expires in 12 days' });
    expect(tokenExpiryCheck(-3.2)).toMatchObject({ ok: false, detail: expect.stringContaining('expired 4 days ago') });
    expect(tokenExpiryCheck(undefined)).toMatchObject({ ok: true, detail: expect.stringContaining('expiry unknown') });
  });

  it('warns in the logs when the token the functions read expires within 14 days, without the token', async () => {
    const token = jwtExpiringIn(10);
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const store = createCredentialStore(
      { secretId: 'ionos', envCredentials: {}, secretCacheSeconds: 300 },
      { get: async () => JSON.stringify({ ionosApiToken: token }) },
    );
    await store.get();
    await store.get();
    expect(warn.mock.calls).toEqual([['the IONOS token expires soon', { daysToExpiry: 10 }]]);
    expect(JSON.stringify(warn.mock.calls)).not.toContain(token);
    warn.mockRestore();
  });
});
