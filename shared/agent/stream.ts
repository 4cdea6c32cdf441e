/**
 * The agent's streaming protocol (as the original backend's chat frontend parses it, line by line):
 * `{"status":"thinking"}` first, then `{"content":"…"}` token deltas as the model produces them, tool
 * activity under the new key `tool`, `{"error":"…"}` on failure (with the envelope's `type` and `code`
 * beside the message, which old clients ignore), and `[DONE]` last, always.
 */
import { Readable } from 'node:stream';
import { runAgent, type AgentDeps, type AgentRequest } from '#shared/agent/run.ts';
import { toErrorBody } from '#shared/errors.ts';
import { SSE_DONE, sseEvent } from '#shared/http/sse.ts';

/**
 * Starts the run and returns the SSE body. Destroying the body (the client disconnected and the response
 * stream closed) aborts the run at once.
 */
export function streamAgent(request: Omit<AgentRequest, 'onEvent'>, deps: AgentDeps): Readable {
  const cancel = new AbortController();
  const body = new Readable({
    read() {}, // frames are pushed as the run produces them
    destroy(err, callback) {
      cancel.abort();
      callback(err);
    },
  });
  const send = (frame: string) => {
    if (!body.destroyed) body.push(frame);
  };
  send(sseEvent({ status: 'thinking' }));
  const signal = request.signal ? AbortSignal.any([request.signal, cancel.signal]) : cancel.signal;
  runAgent({ ...request, signal, onEvent: (event) => send(sseEvent(event)) }, deps)
    .catch((err: unknown) => {
      const { message, type, code } = toErrorBody(err).error;
      send(sseEvent({ error: message, type, code }));
    })
    .finally(() => {
      send(SSE_DONE);
      if (!body.destroyed) body.push(null);
    });
  return body;
}
