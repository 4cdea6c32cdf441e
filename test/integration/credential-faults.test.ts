// Credentials from Secrets Manager (mocked: AWS cannot run here) through the local API: a missing,
// forbidden, empty or malformed secret answers 503 with a message for the operator that names neither
// the secret nor the SDK's words; once the secret is fixed, and after a rotation, the next call succeeds
// without a restart.
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '#test/helpers/local-stack.ts';
import { SENTINELS } from '#test/helpers/sentinels.ts';

const SECRET_ID = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:ionos-credentials-AbCdEf';
const CHAT = 'mistralai/Mistral-Small-24B-Instruct';
const sm = mockClient(SecretsManagerClient);
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ IONOS_SECRET_ID: SECRET_ID, IONOS_API_TOKEN: '' });
});
afterAll(async () => {
  sm.restore();
  await stack.close();
});

/** The two routes that need the IONOS token: the proxy and the agent. */
const calls = {
  proxy: () =>
    fetch(`${stack.api.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: CHAT, messages: [{ role: 'user', content: 'Hi' }] }),
    }),
  agent: () =>
    fetch(`${stack.api.url}/`, {
      method: 'POST',
      headers: { 'x-model-id': CHAT },
      body: JSON.stringify({ messages: [{ type: 'human', content: 'Hi' }] }),
    }),
};

const secret = (value: string) => ({ SecretString: value, $metadata: {} });

describe('credentials faults', () => {
  it.each([
    [
      'the secret does not exist',
      () =>
        sm
          .on(GetSecretValueCommand)
          .rejects(new ResourceNotFoundException({ message: `Secrets Manager can't find ${SECRET_ID}.`, $metadata: {} })),
      'could not be read',
    ],
    [
      'reading it is denied',
      () =>
        sm.on(GetSecretValueCommand).rejects(
          Object.assign(new Error(`User arn:aws:sts::123456789012:assumed-role/x is not authorized to access ${SECRET_ID}`), {
            name: 'AccessDeniedException',
          }),
        ),
      'could not be read',
    ],
    ['it has no value yet', () => sm.on(GetSecretValueCommand).resolves({ $metadata: {} }), 'has no value yet'],
    ['it is empty', () => sm.on(GetSecretValueCommand).resolves(secret('   ')), 'is empty'],
    ['it looks like JSON but does not parse', () => sm.on(GetSecretValueCommand).resolves(secret('{"ionosApiToken": ')), 'does not parse'],
    [
      'its JSON has no ionosApiToken',
      () => sm.on(GetSecretValueCommand).resolves(secret(JSON.stringify({ studioApiKey: SENTINELS.studioApiKey }))),
      'no "ionosApiToken" string',
    ],
  ])('%s: 503 credentials_unavailable on both routes', async (_name, arrange, reason) => {
    sm.reset();
    arrange();
    for (const call of Object.values(calls)) {
      const res = await call();
      expect(res.status).toBe(503);
      const { error } = (await res.json()) as { error: { message: string; code: string } };
      expect(error.code).toBe('credentials_unavailable');
      expect(error.message).toContain('The operator must check the credentials secret');
      expect(error.message).toContain(reason);
      expect(error.message).not.toMatch(/arn:|123456789012|authorized/); // nothing of the secret's name or the SDK's words
    }
    expect(stack.sim.control.requests).toHaveLength(0); // nothing went upstream without a token
  });

  it('serves again as soon as the secret is fixed, and follows a rotation after an upstream 401', async () => {
    sm.reset();
    sm.on(GetSecretValueCommand).resolves(secret(JSON.stringify({ ionosApiToken: SENTINELS.ionosApiToken })));
    for (const call of Object.values(calls)) expect((await call()).status).toBe(200);

    // IONOS rotates the token: the old one is refused, the secret holds the new one; the cached old
    // token gets a 401, the secret is read again once, and the call succeeds without a restart.
    const rotated = `${SENTINELS.ionosApiToken}-rotated`;
    stack.sim.hubTokens.clear();
    stack.sim.hubTokens.add(rotated);
    sm.on(GetSecretValueCommand).resolves(secret(rotated));
    stack.sim.control.reset();
    for (const call of Object.values(calls)) expect((await call()).status).toBe(200);
    const auth = stack.sim.control.requests.map((r) => r.headers.authorization);
    expect(auth).toEqual([
      `Bearer ${SENTINELS.ionosApiToken}`,
      `Bearer ${rotated}`,
      `Bearer ${SENTINELS.ionosApiToken}`,
      `Bearer ${rotated}`,
    ]);
  });

  it('retries only the refused model call when the token rotates mid-run: the tools run once, their events are sent once', async () => {
    const original = `${SENTINELS.ionosApiToken}-before`;
    const rotated = `${SENTINELS.ionosApiToken}-after`;
    sm.reset();
    sm.on(GetSecretValueCommand).resolves(secret(original));
    stack.sim.hubTokens.clear();
    stack.sim.hubTokens.add(original).add(rotated);
    stack.sim.control.reset();
    expect((await calls.agent()).status).toBe(200); // the agent function caches the original token
    sm.on(GetSecretValueCommand).resolves(secret(rotated)); // the operator rotates the secret
    stack.sim.control.reset();
    stack.sim.control.chatReplies.push({ toolCalls: [{ name: 'current_datetime', arguments: {} }] }, { content: 'done' });
    stack.sim.control.faults.push({ path: '/v1/chat/completions', latencyMs: 0 }, { path: '/v1/chat/completions', status: 401 }); // the second model call is refused
    const res = await fetch(`${stack.api.url}/?stream=true`, {
      method: 'POST',
      headers: { 'x-model-id': CHAT },
      body: JSON.stringify({ messages: [{ type: 'human', content: 'time?' }] }),
    });
    const events = (await res.text())
      .split('\n\n')
      .filter((f) => f.startsWith('data: {'))
      .map((f) => JSON.parse(f.slice(6)) as Record<string, unknown>);
    expect(events.filter((e) => 'tool' in e)).toEqual([
      { tool: { name: 'current_datetime', status: 'started' } },
      { tool: { name: 'current_datetime', status: 'finished' } },
    ]);
    expect(events.some((e) => 'error' in e)).toBe(false);
    const chat = stack.sim.control.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(chat.map((r) => r.headers.authorization)).toEqual([`Bearer ${original}`, `Bearer ${original}`, `Bearer ${rotated}`]);
    // The retried call is the refused one, carrying the run's tool result; a re-run would start from the question.
    const retried = JSON.parse(chat[2]?.body ?? '{}') as { messages: { role: string }[] };
    expect(retried.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
  });

  it('answers 502 with a message for the operator when the secret holds a token IONOS refuses', async () => {
    sm.reset();
    sm.on(GetSecretValueCommand).resolves(secret('not-a-token-ionos-knows'));
    stack.sim.control.reset();
    // The cached (valid) token is refused now too, so the refetch finds the bad one and IONOS refuses it.
    stack.sim.hubTokens.clear();
    for (const call of Object.values(calls)) {
      const res = await call();
      expect(res.status).toBe(502);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'upstream_auth_failed',
        message: expect.stringContaining("rejected this server's credentials"),
      });
    }
  });
});
