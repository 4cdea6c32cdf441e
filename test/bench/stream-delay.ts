/**
 * Streaming delay: from the simulated model writing a token (an SSE chunk) to the client reading the
 * matching `{"content"}` event from the agent through `npm start`. Both clocks are this machine's
 * (epoch ms with sub-ms precision), so the two processes' times compare directly.
 */
import type { Simulator } from '#infra/local/simulator/server.ts';
import { percentile, round } from './stats.ts';

const now = () => performance.timeOrigin + performance.now();

/** p50/p99 delay (ms) over `runs` streamed answers. */
export async function measureAgentStreamDelay(sim: Simulator, apiUrl: string, runs: number): Promise<{ p50: number; p99: number; tokens: number }> {
  const delays: number[] = [];
  sim.control.streamDelayMs = 5; // tokens apart in time, as a model writes them
  for (let run = 0; run < runs; run++) {
    sim.control.eventTimes = [];
    const res = await fetch(`${apiUrl}/?stream=true`, {
      method: 'POST',
      headers: { 'x-model-id': 'mistralai/Mistral-Small-24B-Instruct' },
      body: JSON.stringify({ messages: [{ type: 'human', content: 'one two three four five six seven eight nine ten' }] }),
    });
    const arrivals: number[] = [];
    let buffer = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as ReadableStream<Uint8Array>) {
      const at = now();
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        if (buffer.startsWith('data: {"content"')) arrivals.push(at);
        buffer = buffer.slice(end + 2);
      }
    }
    // Simulator event 0 carries the role only; content event k is simulator event k + 1.
    arrivals.forEach((at, k) => {
      const written = sim.control.eventTimes?.[k + 1];
      if (written !== undefined) delays.push(at - written);
    });
  }
  sim.control.eventTimes = undefined;
  sim.control.streamDelayMs = 0;
  return { p50: round(percentile(delays, 50), 3), p99: round(percentile(delays, 99), 3), tokens: delays.length };
}
