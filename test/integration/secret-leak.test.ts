// The IONOS token never appears in a response or a log line, even when IONOS echoes it back in an error.
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { buildContext } from '#infra/offline/api-gateway/lambda-event.ts';
import { createCredentialStore } from '#shared/credentials.ts';
import { createHandler } from '#shared/http/handler.ts';
import { jsonResponse } from '#shared/http/json-response.ts';
import { createHubClient } from '#shared/ionos/hub-client.ts';
import { logger } from '#shared/logger.ts';
import { SENTINELS, startTestSimulator } from '#test/helpers/sentinels.ts';

const SENTINEL = SENTINELS.ionosApiToken;
let sim: Simulator;

// The most talkative level the functions support, set before the shared logger is created.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
});

beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(() => sim.close());

function handlerUnderTest() {
  const hub = createHubClient(
    { hubBaseUrl: sim.hubBaseUrl, upstreamTimeoutMs: 2_000 },
    createCredentialStore({ secretId: undefined, envCredentials: { ionosApiToken: SENTINEL }, secretCacheSeconds: 300 }),
  );
  return createHandler('studio-models', async () => {
    // a buffered function's stack
    logger.debug('calling the Hub', { route: '/v1/chat/completions' });
    const res = await hub.fetch('/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({ model: 'openai/gpt-oss-120b', messages: [{ role: 'user', content: 'x' }] }),
    });
    return jsonResponse(200, JSON.parse(await res.text()));
  }) as unknown as (
    event: APIGatewayProxyEvent,
    context: Context,
  ) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;
}

describe('secrets in errors and logs', () => {
  it.each([
    ['a 400 whose message echoes the token', { status: 400, errorMessage: `invalid request for token ${SENTINEL}` }, 400],
    ['a 401 whose message echoes the token', { status: 401, errorMessage: `token ${SENTINEL} expired` }, 502],
    ['a 500 whose body echoes the token', { status: 500, errorMessage: `upstream crashed with Bearer ${SENTINEL}` }, 502],
    ['a reset connection', { reset: true }, 502],
  ])('%s: not in the response, not in any log line at DEBUG', async (_name, fault, status) => {
    const captured: string[] = [];
    const capture = (chunk: unknown) => {
      captured.push(String(chunk));
      return true;
    };
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    try {
      sim.control.faults.push(fault);
      const event = { path: '/test', httpMethod: 'POST', headers: {}, body: null } as unknown as APIGatewayProxyEvent;
      const response = await handlerUnderTest()(event, buildContext('studio-models', 10, 256));
      expect(response.statusCode).toBe(status);
      expect(JSON.stringify(response)).not.toContain(SENTINEL);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    expect(captured.join('')).toContain('calling the Hub'); // the capture works
    expect(captured.join('')).not.toContain(SENTINEL);
  });
});
