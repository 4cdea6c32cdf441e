/** Reading API Gateway REST (v1) proxy events: headers, query flags and bounded JSON bodies. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { BadRequestError, PayloadTooLargeError } from '#shared/errors.ts';
import { jsonShape } from '#shared/http/json-keys.ts';

/** How deep a request's JSON may nest: far more than any API value (a JSON schema, metadata) needs. */
export const MAX_JSON_DEPTH = 64;

/** A header's value, matched case-insensitively (API Gateway keeps the client's casing). */
export function getHeader(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** True when the query parameter is `true` or `1` (case-insensitive). */
export function queryFlag(event: Pick<APIGatewayProxyEvent, 'queryStringParameters'>, name: string): boolean {
  const value = event.queryStringParameters?.[name]?.toLowerCase();
  return value === 'true' || value === '1';
}

/** The raw body bytes, checked against the size limit. @throws PayloadTooLargeError */
export function readBody(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>, maxBytes: number): Buffer {
  const raw = event.body ?? '';
  // Cheap upper bound first, so a huge body is refused before it is decoded.
  if ((event.isBase64Encoded ? (raw.length * 3) / 4 : raw.length) > maxBytes * 4) throw new PayloadTooLargeError(maxBytes);
  const bytes = Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8');
  if (bytes.length > maxBytes) throw new PayloadTooLargeError(maxBytes);
  return bytes;
}

/**
 * Parses the body as a JSON object.
 * @throws PayloadTooLargeError over the limit, BadRequestError when empty, not JSON, or not an object.
 */
export function readJsonObject(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>, maxBytes: number): Record<string, unknown> {
  return parseJsonObject(readBody(event, maxBytes).toString('utf8'));
}

/**
 * Parses text as a JSON object.
 * @throws BadRequestError when empty, not JSON, not an object, nested too deep, or with a top-level key given twice.
 */
export function parseJsonObject(text: string): Record<string, unknown> {
  if (text.trim() === '') throw new BadRequestError('Request body is empty; send a JSON object.', { code: 'invalid_json' });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(`Request body is not valid JSON (${(err as Error).message}).`, { code: 'invalid_json' });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BadRequestError('Request body must be a JSON object.', { code: 'invalid_json' });
  }
  const { repeatedKey: repeated, depth } = jsonShape(text);
  if (depth > MAX_JSON_DEPTH) {
    throw new BadRequestError(`Request body nests objects and arrays ${depth} deep; at most ${MAX_JSON_DEPTH} levels are accepted.`, {
      code: 'json_too_deep',
    });
  }
  if (repeated !== undefined) {
    throw new BadRequestError(`Request body has the key "${repeated.slice(0, 100)}" more than once; send each top-level key once.`, {
      param: repeated.slice(0, 100),
      code: 'duplicate_key',
    });
  }
  return value as Record<string, unknown>;
}
