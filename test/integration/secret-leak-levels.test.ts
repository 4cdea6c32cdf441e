// At every log level the functions support, a whole `npm start` process holding the sentinel credentials
// serves successes, streams, the agent with its search tool, Studio, and upstream errors that echo the
// token; no sentinel appears in any response (status line, headers, body) or anything the process printed.
import { describe, expect, it } from 'vitest';
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { STUDIO_MODELS } from '#infra/offline/ionos-simulator/catalogue.ts';
import { SENTINEL_VALUES, SENTINELS, startTestSimulator } from '#test/helpers/sentinels.ts';
import { spawnApi } from '#test/helpers/spawn-api.ts';

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'];
const CHAT = 'mistralai/Mistral-Small-24B-Instruct';
const STUDIO_UUID = STUDIO_MODELS['qwen-gdpr-demo'] as string;
/** The requests each level serves (against its own simulator); returns every response rendered as text. */
async function workload(base: string, sim: Simulator): Promise<string[]> {
  const seen: string[] = [];
  const call = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', ...init });
    seen.push(`${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}`);
  };
  const chat = (extra: object = {}) => ({ body: JSON.stringify({ model: CHAT, messages: [{ role: 'user', content: 'hi' }], ...extra }) });
  await call('/v1/models', { method: 'GET' });
  await call('/v1/chat/completions', chat());
  await call('/v1/chat/completions', chat({ stream: true, stream_options: { include_usage: true } }));
  await call('/studio/models', { method: 'GET' });
  await call('/v1/chat/completions', { body: JSON.stringify({ model: STUDIO_UUID, messages: [{ role: 'user', content: 'hi' }] }) });
  sim.control.chatReplies.push({ toolCalls: [{ name: 'web_search', arguments: { query: 'IONOS' } }] }, { content: 'done' });
  await call('/', { headers: { 'x-model-id': CHAT }, body: JSON.stringify({ messages: [{ type: 'human', content: 'search' }] }) });
  // IONOS errors that echo the credentials back, on every path that reads an upstream error.
  for (const status of [400, 401, 403, 429, 500, 503]) {
    sim.control.faults.push({ status, times: 2, errorMessage: `bad token ${SENTINELS.ionosApiToken} / ${SENTINELS.studioApiKey}` });
    await call('/v1/chat/completions', chat());
    sim.control.faults.length = 0;
    sim.control.faults.push({ status, times: 4, errorMessage: `Bearer ${SENTINELS.ionosApiToken}` });
    await call('/', { headers: { 'x-model-id': CHAT }, body: JSON.stringify({ messages: [{ type: 'human', content: 'hi' }] }) });
    sim.control.faults.length = 0;
  }
  // The search tool's upstream echoing its key: the tool result and the stream's tool events stay clean.
  sim.control.faults.push({ path: '/tavily/search', status: 401, errorMessage: `key ${SENTINELS.tavilyApiKey} rejected` });
  sim.control.chatReplies.push({ toolCalls: [{ name: 'web_search', arguments: { query: 'IONOS' } }] }, { content: 'done' });
  await call('/?stream=true', {
    headers: { 'x-model-id': CHAT },
    body: JSON.stringify({ messages: [{ type: 'human', content: 'search' }] }),
  });
  sim.control.faults.push({ reset: true });
  await call('/v1/chat/completions', chat());
  expect(sim.control.faults).toEqual([]); // every injected fault was met
  return seen;
}

// The levels run at once, each with a simulator and a process of its own: a level's time is mostly the
// agent's retry back-off on the injected faults, not work, so seven in parallel take about as long as one.
describe.concurrent('no sentinel credential at any log level', () => {
  it.each(LEVELS)('POWERTOOLS_LOG_LEVEL=%s', { timeout: 90_000 }, async (level) => {
    const sim = await startTestSimulator();
    const api = await spawnApi(sim, { POWERTOOLS_LOG_LEVEL: level, UPSTREAM_TIMEOUT_MS: '2000' });
    let responses: string[] = [];
    try {
      responses = await workload(api.url, sim);
    } finally {
      expect(await api.stop()).toBe(0);
      await sim.close();
    }
    expect(responses).toHaveLength(20);
    // Successes: models, chat, chat stream, Studio listing, Studio chat, agent with search, agent stream.
    expect(responses.filter((r) => r.startsWith('200 '))).toHaveLength(7);
    expect(responses.some((r) => r.includes('bad token'))).toBe(true); // the echoed message does come back...
    const output = api.output();
    if (['TRACE', 'DEBUG', 'INFO'].includes(level)) expect(output).toContain('"proxied"'); // ...and logs are written
    for (const value of SENTINEL_VALUES) {
      for (const response of responses) expect(response).not.toContain(value);
      expect(output).not.toContain(value);
    }
  });
});
