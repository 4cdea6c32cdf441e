// The proxy's EMF metrics and log lines: per route, model and status class, with token counts from the
// usage object; logs carry no prompts, completions or tokens.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalApi } from '#infra/offline/api-gateway/server.ts';
import { captureLines } from '#test/helpers/capture-lines.ts';
import { startLocalStack, type LocalStack } from '#test/helpers/local-stack.ts';
import { SENTINELS } from '#test/helpers/sentinels.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
});

const CHAT = 'mistralai/Mistral-Small-24B-Instruct';
const PROMPT = 'PROMPT-SENTINEL-7f3a';
let stack: LocalStack;
let api: LocalApi;

beforeAll(async () => {
  stack = await startLocalStack();
  ({ api } = stack);
});
afterAll(() => stack.close());

describe('proxy metrics and logs', () => {
  it('emits EMF with route, model, status class, latency and tokens from a stream that asked for usage', async () => {
    const { lines } = await captureLines(async () => {
      const res = await fetch(`${api.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({
          model: CHAT,
          stream: true,
          stream_options: { include_usage: true },
          messages: [{ role: 'user', content: PROMPT }],
        }),
      });
      await res.text();
    });
    const emf = lines.find((l) => '_aws' in l);
    expect(emf).toMatchObject({
      route: '/v1/chat/completions',
      model: CHAT,
      statusClass: '2xx',
      Requests: 1,
      PromptTokens: expect.any(Number),
      CompletionTokens: expect.any(Number),
      UpstreamLatency: expect.any(Number),
    });
    expect((emf?._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]?.Dimensions[0]).toEqual(
      expect.arrayContaining(['route', 'model', 'statusClass']),
    );
    const log = lines.find((l) => l.message === 'proxied');
    expect(log).toMatchObject({
      route: '/v1/chat/completions',
      model: CHAT,
      status: 200,
      outcome: 'complete',
      latencyMs: expect.any(Number),
    });
    const all = JSON.stringify(lines);
    expect(all).not.toContain(PROMPT); // neither the prompt nor the echoed completion
    expect(all).not.toContain(SENTINELS.ionosApiToken);
  });

  it('counts rejected requests without letting unknown models become a dimension', async () => {
    const { lines } = await captureLines(async () => {
      await (
        await fetch(`${api.url}/v1/chat/completions`, {
          method: 'POST',
          body: JSON.stringify({ model: 'made/up-model-123', messages: [{ role: 'user', content: PROMPT }] }),
        })
      ).text();
    });
    expect(lines.find((l) => '_aws' in l)).toMatchObject({ model: 'unverified', statusClass: '4xx', Requests: 1 });
    expect(JSON.stringify(lines)).not.toContain(PROMPT);
  });
});
