/**
 * Normalises upstream error bodies into the OpenAI envelope's fields. IONOS answers in its native format
 * (`{"httpStatus","messages":[{"errorCode","message"}]}`) on most routes and in the OpenAI format on some;
 * clients and SDKs only understand the latter. Secrets are redacted from whatever upstream echoes back.
 */
import type { ErrorBody } from '#shared/errors.ts';
import { MAX_ERROR_BODY_CHARS } from '#shared/http/upstream-fetch.ts';

/** The OpenAI error `type` for an HTTP status, as OpenAI's API uses them. */
export function errorTypeForStatus(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** Replaces every occurrence of each secret (at least 4 characters long) with `[redacted]`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) if (secret !== undefined && secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * Reads an upstream error body in any known format.
 * @param secrets values that must not appear in the result (tokens sent upstream).
 */
export function normaliseUpstreamError(
  status: number,
  bodyText: string,
  secrets: readonly (string | undefined)[] = [],
): ErrorBody['error'] {
  const fallback = { message: `HTTP ${status}`, type: errorTypeForStatus(status), code: null, param: null };
  if (bodyText.length === 0 || bodyText.length > MAX_ERROR_BODY_CHARS) return fallback;
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return fallback; // HTML error pages and the like: never relayed.
  }
  if (body === null || typeof body !== 'object') return fallback;
  const b = body as Record<string, unknown>;
  const clean = (m: string) => redact(m, secrets).slice(0, 2_000);

  if (Array.isArray(b.messages)) {
    const items = b.messages.filter((m): m is Record<string, unknown> => m !== null && typeof m === 'object');
    const message = items
      .map((m) => str(m.message))
      .filter((m) => m !== null)
      .join('; ');
    return { ...fallback, message: message === '' ? fallback.message : clean(message), code: str(items[0]?.errorCode) };
  }
  if (b.error !== null && typeof b.error === 'object') {
    const e = b.error as Record<string, unknown>;
    const message = str(e.message);
    return {
      message: message === null ? fallback.message : clean(message),
      type: str(e.type) ?? fallback.type,
      code: typeof e.code === 'number' ? String(e.code) : str(e.code),
      param: str(e.param),
    };
  }
  const message = str(b.error) ?? str(b.message) ?? str(b.detail);
  return message === null ? fallback : { ...fallback, message: clean(message) };
}
