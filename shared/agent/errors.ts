/**
 * Turns whatever a run throws into one of our HTTP errors. Errors pass through several layers (our fetch
 * wrapper → the OpenAI SDK → LangChain → LangGraph), each wrapping the last in `cause`, so the typed error
 * from the wrapper is looked for first.
 */
import { BadGatewayError, GatewayTimeoutError, HttpError, RequestAbortedError } from '#shared/errors.ts';
import { findStreamFailure } from '#shared/http/upstream-fetch.ts';
import { HUB } from '#shared/ionos/upstreams.ts';

const MAX_DEPTH = 8;

/** The first HttpError in an error's cause chain. */
export function findHttpError(err: unknown): HttpError | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < MAX_DEPTH && current != null; depth++) {
    if (current instanceof HttpError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The signals of one run: the overall deadline, and cancellation by the client. */
export interface RunSignals {
  deadline: AbortSignal;
  deadlineMs: number;
}

/** Maps a run failure to the error the client gets. */
export function toAgentError(err: unknown, { deadline, deadlineMs }: RunSignals): Error {
  const timedOut = () =>
    new GatewayTimeoutError(
      `The agent did not finish within ${Math.round(deadlineMs / 1000)} s. Try a shorter question or try again later.`,
      err,
    );
  const http = findHttpError(err);
  if (http instanceof RequestAbortedError) return deadline.aborted ? timedOut() : http;
  if (http !== undefined) return http;
  const streamFailure = findStreamFailure(HUB, err); // the model's stream stalled or was cut
  if (streamFailure !== undefined) return deadline.aborted ? timedOut() : streamFailure;
  const e = err as { name?: string };
  if (e?.name === 'GraphRecursionError') {
    return new BadGatewayError(
      'The agent stopped after too many steps without a final answer (a tool loop). Rephrase the question or try another model.',
      { code: 'agent_recursion_limit', cause: err },
    );
  }
  if (typeof e?.name === 'string' && /abort/i.test(e.name)) return deadline.aborted ? timedOut() : new RequestAbortedError(err);
  if (deadline.aborted) return timedOut();
  // The OpenAI SDK reports our wrapper's timeout as its own timeout error, without the cause. (An error
  // status never reaches the SDK: the Hub client throws UpstreamHttpError for it, found above.)
  if (typeof e?.name === 'string' && /timeout/i.test(e.name))
    return new GatewayTimeoutError('IONOS AI Model Hub did not answer in time. Try again later.', err);
  return err instanceof Error ? err : new Error(String(err));
}
