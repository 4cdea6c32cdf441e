/**
 * The Responses bridge's added latency: a buffered `POST /v1/responses` next to the same chat completion
 * through the plain proxy, both through `npm start`, sequential keep-alive requests in interleaved pairs.
 */
import { Agent } from 'node:http';
import { send } from '#test/load/http-load.ts';
import { percentile, round } from './stats.ts';

const MODEL = 'mistralai/Mistral-Small-24B-Instruct';
const CHAT = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hello' }] });
const RESPONSES = JSON.stringify({ model: MODEL, input: 'Hello' });

/** p50/p99 of the bridge minus the plain proxy, over `count` pairs after 200 warm-up pairs. */
export async function measureBridgeLatency(apiUrl: string, count: number): Promise<{ p50: number; p99: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const plain: number[] = [];
  const bridged: number[] = [];
  try {
    for (let i = 0; i < count + 200; i++) {
      let t = performance.now();
      await send(agent, apiUrl, { method: 'POST', path: '/v1/chat/completions', body: CHAT });
      const p = performance.now() - t;
      t = performance.now();
      const answer = await send(agent, apiUrl, { method: 'POST', path: '/v1/responses', body: RESPONSES });
      const b = performance.now() - t;
      if (answer.status !== 200) throw new Error(`/v1/responses answered ${answer.status}: ${answer.body.slice(0, 200)}`);
      if (i >= 200) {
        plain.push(p);
        bridged.push(b);
      }
    }
  } finally {
    agent.destroy();
  }
  return {
    p50: round(percentile(bridged, 50) - percentile(plain, 50), 3),
    p99: round(percentile(bridged, 99) - percentile(plain, 99), 3),
  };
}
