/** How the simulator writes its answers: JSON, injected error statuses, and SSE streams with stream faults. */
import type { ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { Fault, SimulatorControl } from './control.ts';
import type { JsonAnswer } from './hub.ts';

/** A JSON answer. */
export function writeAnswer(
  res: ServerResponse,
  answer: JsonAnswer,
  headers: Record<string, string>,
  contentType = 'application/json',
): void {
  res.writeHead(answer.status, { ...headers, 'content-type': contentType });
  res.end(JSON.stringify(answer.json));
}

/** An injected error status, in the fault's body format. */
export function writeFaultStatus(res: ServerResponse, fault: Fault): void {
  const status = fault.status as number;
  const message = fault.errorMessage ?? `Simulated upstream failure (HTTP ${status}).`;
  const headers: Record<string, string> = { ...fault.headers };
  if (fault.retryAfter !== null && (status === 429 || status === 503)) headers['retry-after'] = String(fault.retryAfter ?? 1);
  if (fault.errorFormat === 'html') {
    res.writeHead(status, { ...headers, 'content-type': 'text/html' });
    return void res.end(`<html><body><h1>${status}</h1></body></html>`);
  }
  const json =
    fault.errorFormat === 'openai'
      ? {
          error: {
            message,
            type: status === 429 ? 'requests' : 'server_error',
            code: status === 429 ? 'rate_limit_exceeded' : null,
            param: null,
          },
        }
      : { httpStatus: status, messages: [{ errorCode: `sim-${status}`, message }] };
  res.writeHead(status, { ...headers, 'content-type': 'application/json' });
  res.end(JSON.stringify(json));
}

/** An SSE stream ending in `[DONE]`, with the fault's cut, stall or content type. */
export async function writeEvents(
  res: ServerResponse,
  events: unknown[],
  headers: Record<string, string>,
  fault: Fault | undefined,
  control: SimulatorControl,
): Promise<void> {
  const delayMs = control.streamDelayMs;
  res.writeHead(200, { ...headers, 'content-type': fault?.contentType ?? 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  for (let i = 0; i < events.length; i++) {
    if (res.destroyed) return;
    if (fault?.cutStreamAfter !== undefined && i >= fault.cutStreamAfter) {
      await delay(10); // let the events sent so far reach the client, as in a real mid-stream failure
      return void res.destroy();
    }
    if (fault?.stallMs !== undefined && i === (fault.stallAfterEvents ?? 1)) await delay(fault.stallMs);
    if (delayMs > 0 && i > 0) await delay(delayMs);
    res.write(`data: ${JSON.stringify(events[i])}\n\n`);
    control.eventTimes?.push(performance.timeOrigin + performance.now());
  }
  res.end('data: [DONE]\n\n');
}
