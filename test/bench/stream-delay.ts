/**
 * Streaming delays: from the simulator writing an SSE chunk to the client reading it, through `npm start`,
 * for the agent (its `{"content"}` events) and the proxy (every chunk). Both clocks are this machine's
 * (epoch ms with sub-ms precision), so the two processes' times compare directly.
 */
import type { Simulator } from '#infra/offline/ionos-simulator/server.ts';
import { percentile, round } from './stats.ts';

const now = () => performance.timeOrigin + performance.now();
const CHAT_MODEL = 'mistralai/Mistral-Small-24B-Instruct';
const WORDS = 'one two three four five six seven eight';

/** The time each SSE event that `counts` was read. */
async function arrivals(res: Response, counts: (event: string) => boolean): Promise<number[]> {
  const times: number[] = [];
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as ReadableStream<Uint8Array>) {
    const at = now();
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      if (counts(buffer.slice(0, end))) times.push(at);
      buffer = buffer.slice(end + 2);
    }
  }
  return times;
}

/**
 * Runs `runs` streamed requests; `offset` maps the k-th counted event to the simulator event that produced it.
 * @returns p50/p99 delay in ms and how many events were measured.
 */
async function measure(sim: Simulator, runs: number, request: () => Promise<Response>, counts: (event: string) => boolean, offset: number) {
  const delays: number[] = [];
  sim.control.streamDelayMs = 5; // chunks apart in time, as a model writes them
  try {
    for (let run = 0; run < runs; run++) {
      sim.control.eventTimes = [];
      (await arrivals(await request(), counts)).forEach((at, k) => {
        const written = sim.control.eventTimes?.[k + offset];
        if (written !== undefined) delays.push(at - written);
      });
    }
  } finally {
    sim.control.eventTimes = undefined;
    sim.control.streamDelayMs = 0;
  }
  return { p50: round(percentile(delays, 50), 3), p99: round(percentile(delays, 99), 3), events: delays.length };
}

/** Agent: simulator token → `{"content"}` event (simulator event 0 carries the role only, hence offset 1). */
export function measureAgentStreamDelay(sim: Simulator, apiUrl: string, runs: number) {
  const body = JSON.stringify({ messages: [{ type: 'human', content: WORDS }] });
  return measure(
    sim,
    runs,
    () => fetch(`${apiUrl}/?stream=true`, { method: 'POST', headers: { 'x-model-id': CHAT_MODEL }, body }),
    (e) => e.startsWith('data: {"content"'),
    1,
  );
}

/** Proxy: every chunk the simulator writes, as the client reads it. */
export function measureProxyStreamDelay(sim: Simulator, apiUrl: string, runs: number) {
  const body = JSON.stringify({ model: CHAT_MODEL, stream: true, messages: [{ role: 'user', content: WORDS }] });
  return measure(
    sim,
    runs,
    () => fetch(`${apiUrl}/v1/chat/completions`, { method: 'POST', body }),
    (e) => e.startsWith('data: {'),
    0,
  );
}

/** Responses bridge: each simulator content chunk → its `response.output_text.delta` event (event 0 is the role). */
export function measureResponsesStreamDelay(sim: Simulator, apiUrl: string, runs: number) {
  const body = JSON.stringify({ model: CHAT_MODEL, stream: true, input: WORDS });
  return measure(
    sim,
    runs,
    () => fetch(`${apiUrl}/v1/responses`, { method: 'POST', body }),
    (e) => e.startsWith('event: response.output_text.delta'),
    1,
  );
}
