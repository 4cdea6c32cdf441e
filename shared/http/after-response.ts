/**
 * Work that belongs to a request but not to its answer (writing the usage ledger): started when the answer
 * is known, awaited by the handler after the response stream has ended, so the client does not wait for it
 * and Lambda does not freeze the process halfway through it (an invocation ends when its handler returns).
 */
const pending = new Set<Promise<void>>();

/** Registers work to finish before the invocation ends. It must handle its own errors; a rejection is ignored. */
export function afterResponse(work: Promise<unknown>): void {
  const settled = work.then(
    () => undefined,
    () => undefined,
  );
  pending.add(settled);
  void settled.then(() => pending.delete(settled));
}

/**
 * Waits for the work registered so far, which includes all of the calling invocation's (registered before
 * its answer ended). Work registered while waiting is not awaited: in Lambda nothing else runs in the
 * container meanwhile, and under npm start (invocations side by side in one process) it belongs to later
 * invocations; waiting for it too would never end under steady load and would hold every invocation open.
 */
export async function settleAfterResponse(): Promise<void> {
  if (pending.size > 0) await Promise.all([...pending]);
}
