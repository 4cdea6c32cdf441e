/**
 * Builds the API Gateway REST (v1) proxy event and the Lambda context that a deployed function would get
 * for an HTTP request, so the local server runs the handler modules unchanged.
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FunctionName, RouteMatch } from '#shared/routes.ts';
import { isBinaryMediaType } from '#shared/http/multipart.ts';

/** The stage name the local server pretends to be. */
export const LOCAL_STAGE = 'local';

function decodeSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Headers as API Gateway passes them: client casing, last value in `headers`, all values in `multiValueHeaders`. */
function collectHeaders(raw: string[]): Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'> {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  return { headers, multiValueHeaders };
}

function collectQuery(params: URLSearchParams): Pick<APIGatewayProxyEvent, 'queryStringParameters' | 'multiValueQueryStringParameters'> {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [key, value] of params) {
    single[key] = value;
    (multi[key] ??= []).push(value);
  }
  const empty = Object.keys(single).length === 0;
  return { queryStringParameters: empty ? null : single, multiValueQueryStringParameters: empty ? null : multi };
}

/**
 * The proxy event for one request. The body is passed as UTF-8 text, or base64 for a binary media type
 * (`BINARY_MEDIA_TYPES`, as the stack configures API Gateway).
 * @param apiKeyId the id of the API key the gateway matched (`requestContext.identity.apiKeyId`), if any.
 */
export function buildProxyEvent(
  req: IncomingMessage,
  url: URL,
  match: RouteMatch,
  body: Buffer,
  apiKeyId: string | null = null,
): APIGatewayProxyEvent {
  const now = new Date();
  const binary = isBinaryMediaType(req.headers['content-type']);
  const pathParameters =
    match.pathParameters === null ? null : Object.fromEntries(Object.entries(match.pathParameters).map(([k, v]) => [k, decodeSafe(v)]));
  return {
    resource: match.route.path,
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    ...collectHeaders(req.rawHeaders),
    ...collectQuery(url.searchParams),
    pathParameters,
    stageVariables: null,
    body: body.length === 0 ? null : body.toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: binary && body.length > 0,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: req.method ?? 'GET',
      path: `/${LOCAL_STAGE}${url.pathname}`,
      stage: LOCAL_STAGE,
      requestId: randomUUID(),
      requestTimeEpoch: now.getTime(),
      resourceId: 'local',
      resourcePath: match.route.path,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
}

/** A Lambda context whose remaining time counts down from the function's timeout. */
export function buildContext(functionName: FunctionName, timeoutSeconds: number, memoryMb: number): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
