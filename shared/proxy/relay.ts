/**
 * The proxy's response body: upstream bytes relayed as they arrive, never buffered. Destroying it (the
 * client went away) cancels the upstream body, which closes the upstream connection at once. If the upstream fails mid-stream, an SSE stream
 * ends with a `data: {"error":{...}}` event so the client cannot take a cut for a complete answer; a plain
 * body is cut (the client sees a broken connection, not a short JSON).
 */
import { Readable } from 'node:stream';
import { toErrorBody } from '#shared/errors.ts';
import { findStreamFailure, streamCutError } from '#shared/http/upstream-fetch.ts';
import { HUB } from '#shared/ionos/upstreams.ts';
import { sseEvent } from '#shared/http/sse.ts';

/** Hooks of one relay. */
export interface RelayOptions {
  onChunk(chunk: Uint8Array): void;
  /** Called once, when the body ends, fails or is destroyed. */
  onDone(outcome: 'complete' | 'failed' | 'aborted'): void;
  /** Rewrites what passes on (after `onChunk` saw the upstream bytes); `flush` gives what is left at the end. */
  filter?: { push(chunk: Uint8Array): Uint8Array; flush(): Uint8Array };
}

/** Relays `source` into a Readable for the handler response. */
export function relay(source: ReadableStream<Uint8Array>, options: RelayOptions): Readable {
  const reader = source.getReader();
  let settled = false;
  const done = (outcome: 'complete' | 'failed' | 'aborted') => {
    if (!settled) {
      settled = true;
      options.onDone(outcome);
    }
  };
  // Reads the next upstream chunk; one that the filter holds back entirely is followed by another read.
  const pull = (): void => {
    reader.read().then(
      ({ value, done: end }) => {
        if (end) {
          const rest = options.filter?.flush();
          if (rest !== undefined && rest.byteLength > 0) out.push(rest);
          done('complete');
          out.push(null);
          return;
        }
        options.onChunk(value);
        const passed = options.filter === undefined ? value : options.filter.push(value);
        if (passed.byteLength === 0) pull();
        else out.push(passed);
      },
      (cause: unknown) => {
        if (out.destroyed) return;
        done('failed');
        out.push(sseEvent(toErrorBody(findStreamFailure(HUB, cause) ?? streamCutError(HUB, cause))));
        out.push(null);
      },
    );
  };
  const out: Readable = new Readable({
    read() {
      pull();
    },
    destroy(err, callback) {
      if (!settled) {
        done('aborted');
        reader.cancel().catch(() => undefined);
      }
      callback(err);
    },
  });
  return out;
}
