import type { APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler } from '#functions/authorizer.ts';

const ARN = 'arn:aws:execute-api:eu-central-1:123456789012:abc123/v1/POST/';
const event = (token: string): APIGatewayTokenAuthorizerEvent => ({ type: 'TOKEN', authorizationToken: token, methodArn: ARN });

describe('Bearer-key authorizer', () => {
  it('hands the bearer key to API Gateway as the usage-plan key, for the whole stage', async () => {
    const result = await handler(event('Bearer abcdefghij0123456789ABCDEFGHIJ0123456789'));
    expect(result.usageIdentifierKey).toBe('abcdefghij0123456789ABCDEFGHIJ0123456789');
    expect(result.principalId).toMatch(/^key-[0-9a-f]{16}$/);
    expect(result.principalId).not.toBe((await handler(event('Bearer 0123456789abcdefghij0123456789ABCDEFGHIJ'))).principalId); // one principal per key
    expect(JSON.stringify(result.principalId)).not.toContain('abcdefghij');
    expect(result.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:eu-central-1:123456789012:abc123/v1/*' },
    ]);
  });

  it.each([
    '',
    'abcdefghij0123456789ABCD',
    'Basic abcdefghij0123456789ABCD',
    'Bearer short',
    'Bearer abcdefghij0123456789ABCD;drop',
    'Bearer ',
  ])('answers Unauthorized (401) for %j', async (token) => {
    await expect(handler(event(token))).rejects.toThrow(/^Unauthorized$/);
  });
});

describe("the LangGraph routes' authorizer (REQUEST: Bearer or x-api-key)", () => {
  const request = (headers: Record<string, string>) =>
    ({ type: 'REQUEST', methodArn: ARN, headers }) as unknown as Parameters<typeof handler>[0];
  const KEY = 'abcdefghij0123456789ABCDEFGHIJ0123456789';

  it('takes the key from x-api-key (what the LangGraph SDK sends), in any casing', async () => {
    expect((await handler(request({ 'X-Api-Key': KEY }))).usageIdentifierKey).toBe(KEY);
    expect((await handler(request({ 'x-api-key': ` ${KEY} ` }))).usageIdentifierKey).toBe(KEY);
  });

  it('takes a Bearer key as well, first', async () => {
    expect((await handler(request({ authorization: `Bearer ${KEY}`, 'x-api-key': 'other-key-0123456789abcdef' }))).usageIdentifierKey).toBe(
      KEY,
    );
  });

  it.each<Record<string, string>>([{}, { 'x-api-key': 'short' }, { 'x-api-key': `${KEY};drop` }, { authorization: KEY }])(
    'answers Unauthorized for %j',
    async (headers) => {
      await expect(handler(request(headers))).rejects.toThrow(/^Unauthorized$/);
    },
  );
});
