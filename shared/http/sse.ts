/** Server-sent events: framing and the streaming handler response. */
import type { Readable } from 'node:stream';
import type { HandlerResult } from '#shared/http/handler.ts';

/** One SSE event carrying JSON data. */
export function sseEvent(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

/** The end-of-stream marker of the OpenAI and original agent protocols. */
export const SSE_DONE = 'data: [DONE]\n\n';

/** A 200 `text/event-stream` response streaming `body` as it is written. */
export function sseResponse(body: Readable): HandlerResult {
  return {
    statusCode: 200,
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' },
    body,
  };
}
