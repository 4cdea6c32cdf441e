/**
 * The API's TOKEN authorizer: takes the API key from `Authorization: Bearer <api key>` (what OpenAI SDKs
 * send) and hands it to API Gateway as the usage-identifier key, which then checks it against the usage
 * plans (403 for an unknown key) and applies that consumer's throttling and quota. The policy covers the
 * whole stage, so API Gateway can cache one decision per key for every route. The principal is the key's
 * fingerprint (never the key), so access logs tell consumers apart.
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { API_KEY_PATTERN, keyFingerprint } from '#shared/http/api-key.ts';

const BEARER_KEY = new RegExp(`^Bearer\\s+(${API_KEY_PATTERN})$`, 'i');

export async function handler(event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const key = BEARER_KEY.exec(event.authorizationToken ?? '')?.[1];
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
