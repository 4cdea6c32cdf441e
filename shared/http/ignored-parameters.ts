/**
 * Naming what a request sent that this API read and ignored (the Responses API's and the LangGraph API's
 * policy alike): the `x-ignored-parameters` header and the log line's `ignoredParameters`.
 */

/** At most this many ignored names are named (a header and a log line stay small whatever a client sends). */
const NAMED_IGNORED = 20;

/** The ignored names as named: the first ones, then how many more. */
export const namedIgnored = (ignored: readonly string[]): string[] =>
  ignored.length <= NAMED_IGNORED ? [...ignored] : [...ignored.slice(0, NAMED_IGNORED), `(${ignored.length - NAMED_IGNORED} more)`];

/** The `x-ignored-parameters` header for the ignored names; none when nothing was ignored. */
export function ignoredHeader(ignored: readonly string[]): Record<string, string> {
  return ignored.length === 0 ? {} : { 'x-ignored-parameters': namedIgnored(ignored).join(', ') };
}
