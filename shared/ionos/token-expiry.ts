/**
 * Days until the IONOS token expires. IONOS tokens are JWTs whose `exp` claim (1 hour to 365 days ahead)
 * ends them; reading it (without verifying: we only want the date) lets ops be warned weeks before, instead
 * of learning from a failing smoke test. Only the number leaves this module, never the token.
 */

/** Days (fractional) until the token's `exp`; undefined when the token is not a JWT with a numeric `exp`. */
export function tokenDaysToExpiry(token: string, now = Date.now()): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined; // header.payload.signature
  try {
    const claims = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? (claims.exp * 1000 - now) / 86_400_000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Returns a function to call with the token in use: it reports the token's days to expiry when the token
 * changed or `intervalMs` passed since the last report, so a busy container reports about once an hour.
 */
export function createExpiryWatcher(
  report: (days: number) => void,
  intervalMs = 3_600_000,
  now: () => number = Date.now,
): (token: string) => void {
  let last: { token: string; at: number } | undefined;
  return (token) => {
    const at = now();
    if (last !== undefined && last.token === token && at - last.at < intervalMs) return;
    last = { token, at };
    const days = tokenDaysToExpiry(token, at);
    if (days !== undefined) report(days);
  };
}
