/** An unsigned JWT-shaped token with an `exp` claim, for tests of the expiry reporting (IONOS tokens are JWTs). */
export function jwtExpiringIn(days: number, now = Date.now()): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iss: 'ionoscloud', exp: Math.floor(now / 1000 + days * 86_400) })}.c2lnbmF0dXJl`;
}
