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

/** Waits for all registered work, including work registered while waiting. */
export async function settleAfterResponse(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending]);
}
