/**
 * The API's Lambda authorizer: takes the API key from `Authorization: Bearer <api key>` (what OpenAI SDKs
 * send) or, on the LangGraph API's routes (a REQUEST authorizer), from `x-api-key` (what the LangGraph SDK
 * and agent UIs send), and hands it to API Gateway as the usage-identifier key, which then checks it against
 * the usage plans (403 for an unknown key) and applies that consumer's throttling and quota. The policy
 * covers the whole stage, so API Gateway can cache one decision per key for every route. The principal is
 * the key's fingerprint (never the key), so access logs tell consumers apart.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { API_KEY_PATTERN, keyFingerprint } from '#shared/http/api-key.ts';

const BEARER_KEY = new RegExp(`^Bearer\\s+(${API_KEY_PATTERN})$`, 'i');
const PLAIN_KEY = new RegExp(`^\\s*(${API_KEY_PATTERN})\\s*$`);

/** A header of a REQUEST event, whatever its casing. */
function header(event: APIGatewayRequestAuthorizerEvent, name: string): string | undefined {
  return Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1] ?? undefined;
}

/** The key of the request: from the token (TOKEN authorizer), or from either header (REQUEST authorizer). */
function keyOf(event: APIGatewayTokenAuthorizerEvent | APIGatewayRequestAuthorizerEvent): string | undefined {
  if (event.type === 'TOKEN') return BEARER_KEY.exec(event.authorizationToken ?? '')?.[1];
  return BEARER_KEY.exec(header(event, 'authorization') ?? '')?.[1] ?? PLAIN_KEY.exec(header(event, 'x-api-key') ?? '')?.[1];
}

export async function handler(
  event: APIGatewayTokenAuthorizerEvent | APIGatewayRequestAuthorizerEvent,
): Promise<APIGatewayAuthorizerResult> {
  const key = keyOf(event);
  // API Gateway answers 401 (the UNAUTHORIZED gateway response) for exactly this error message.
  if (key === undefined) throw new Error('Unauthorized');
  const [arn = '', stage = ''] = event.methodArn.split('/');
  return {
    principalId: keyFingerprint(key),
    usageIdentifierKey: key,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${arn}/${stage}/*` }],
    },
  };
}
