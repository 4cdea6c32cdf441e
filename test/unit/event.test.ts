import { describe, expect, it } from 'vitest';
import { BadRequestError, PayloadTooLargeError } from '#shared/errors.ts';
import { getHeader, queryFlag, readJsonObject } from '#shared/http/event.ts';

const event = (body: string | null, isBase64Encoded = false) => ({ body, isBase64Encoded });

describe('event helpers', () => {
  it('reads headers case-insensitively', () => {
    expect(getHeader({ headers: { 'X-Model-Id': 'a/b' } }, 'x-model-id')).toBe('a/b');
    expect(getHeader({ headers: {} }, 'x-model-id')).toBeUndefined();
  });

  it('reads boolean query flags', () => {
    expect(queryFlag({ queryStringParameters: { stream: 'true' } }, 'stream')).toBe(true);
    expect(queryFlag({ queryStringParameters: { stream: 'TRUE' } }, 'stream')).toBe(true);
    expect(queryFlag({ queryStringParameters: { stream: 'no' } }, 'stream')).toBe(false);
    expect(queryFlag({ queryStringParameters: null }, 'stream')).toBe(false);
  });

  it('parses a JSON object body, plain or base64', () => {
    expect(readJsonObject(event('{"a":1}'), 100)).toEqual({ a: 1 });
    expect(readJsonObject(event(Buffer.from('{"a":2}').toString('base64'), true), 100)).toEqual({ a: 2 });
  });

  it.each([
    [null, /empty/],
    ['  ', /empty/],
    ['{"a":', /not valid JSON/],
    ['[1,2]', /must be a JSON object/],
    ['"text"', /must be a JSON object/],
    ['null', /must be a JSON object/],
  ])('rejects %j with a 400 that says why', (body, message) => {
    expect(() => readJsonObject(event(body), 100)).toThrow(BadRequestError);
    expect(() => readJsonObject(event(body), 100)).toThrow(message);
  });

  it('refuses a body over the limit with 413, counting bytes not characters', () => {
    expect(() => readJsonObject(event(`{"a":"${'x'.repeat(200)}"}`), 100)).toThrow(PayloadTooLargeError);
    expect(() => readJsonObject(event(`{"a":"${'é'.repeat(45)}"}`), 96)).toThrow(PayloadTooLargeError);
  });
});
