/**
 * What one proxied request may ask IONOS to generate. Every consumer shares one IONOS contract and one bill,
 * so `max_tokens: 10000000` or `n: 128` is refused here with a 400 naming the field and the limit, instead of
 * being forwarded. Within the limits the client's bytes are forwarded unchanged.
 */
import type { RuntimeConfig } from '#shared/config.ts';
import { BadRequestError } from '#shared/errors.ts';
import type { Endpoint } from '#shared/proxy/endpoints.ts';

type Limits = RuntimeConfig['proxyLimits'];

function check(body: Record<string, unknown>, field: string, limit: number, what: string, setting: string): void {
  const value = body[field];
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new BadRequestError(`"${field}" must be a whole number (${what}).`, { param: field, code: 'invalid_type' });
  }
  if (value > limit) {
    throw new BadRequestError(
      `"${field}" is ${value}, above this API's limit of ${limit} (${what}, ${setting}). Ask for at most ${limit}.`,
      { param: field, code: 'limit_exceeded' },
    );
  }
}

/**
 * Checks the generation fields of a request body against the limits.
 * @throws BadRequestError naming the first field over its limit or of the wrong type.
 */
export function checkGenerationLimits(body: Record<string, unknown>, endpoint: Endpoint, limits: Limits): void {
  for (const field of endpoint.outputTokenFields)
    check(body, field, limits.maxOutputTokens, 'tokens to generate', 'PROXY_MAX_OUTPUT_TOKENS');
  for (const field of endpoint.choiceFields) check(body, field, limits.maxChoices, 'choices or images per request', 'PROXY_MAX_CHOICES');
}
