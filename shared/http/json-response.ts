/** Response builders for buffered handlers. */
import type { JsonResponse } from '#shared/errors.ts';

/** A JSON response with the given status and extra headers. */
export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): JsonResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
