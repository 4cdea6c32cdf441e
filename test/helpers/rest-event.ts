/**
 * Test helper: API Gateway REST (v1) proxy events in the shape AWS documents, built from the documented
 * example (`test/contract/apigw-rest-proxy-event.json`), for invoking handlers and bundles as Lambda would.
 */
import { readFileSync } from 'node:fs';

const DOCUMENTED = JSON.parse(readFileSync(new URL('../contract/apigw-rest-proxy-event.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;

/** What varies between requests. */
export interface RestEventParts {
  headers?: Record<string, string>;
  body?: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
}

/** The proxy event for `method path` on the gateway resource `resource`; headers add to the documented ones. */
export function restEvent(resource: string, path: string, method: string, parts: RestEventParts = {}) {
  const headers = { ...(DOCUMENTED.headers as Record<string, string>), ...parts.headers };
  const multi = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, [v]]));
  return {
    ...DOCUMENTED,
    resource,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: multi(headers),
    queryStringParameters: parts.query ?? null,
    multiValueQueryStringParameters: parts.query ? multi(parts.query) : null,
    pathParameters: parts.pathParameters ?? null,
    body: parts.body ?? null,
    requestContext: {
      ...(DOCUMENTED.requestContext as Record<string, unknown>),
      httpMethod: method,
      resourcePath: resource,
      path: `/v1${path}`,
    },
  };
}
