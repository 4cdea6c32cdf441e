/**
 * One signal for work that stops for either of two reasons (the client left, a deadline passed).
 *
 * `AbortSignal.any` does that for signals of any lifetime, at a price paid on every request: its composite
 * signal holds weak references to its sources and follows them again each time a listener is added to it
 * (node:http adds one per request), about 10 µs of CPU per use against 3 µs for one plain listener (Node 24,
 * 100,000 uses), and a visible share of a proxied request's CPU in `npm run bench`. On every request's path
 * (the handler, each upstream attempt) the signals end with their request, so a listener on the source is enough.
 */

/**
 * Makes `controller` abort, with the source's reason, when `source` does (at once if it already has).
 * @returns a function that stops following, for a source that outlives the controller's use (a request's
 * signal, followed by each of its upstream attempts); calling it is harmless when the source has aborted.
 */
export function followSignal(controller: AbortController, source: AbortSignal | undefined): () => void {
  if (source === undefined) return noop;
  if (source.aborted) {
    controller.abort(source.reason);
    return noop;
  }
  const onAbort = () => controller.abort(source.reason);
  source.addEventListener('abort', onAbort, { once: true });
  return () => source.removeEventListener('abort', onAbort);
}

const noop = () => undefined;
