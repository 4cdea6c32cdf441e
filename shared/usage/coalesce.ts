/**
 * Write coalescing for counters: at most one write per item in flight; deltas that arrive meanwhile are
 * summed into the next write, and each caller's promise settles with the write that carried its delta.
 * `ADD` is commutative, so totals are exact either way. In Lambda a container serves one request at a time
 * and nothing is ever merged; where many requests share a process (npm start under load) the store sees a
 * few writes per item instead of one per request, which it could not keep up with.
 */

/** Counter deltas by attribute. */
export type Delta = Record<string, number>;

interface Batch<R> {
  delta: Delta;
  waiters: { resolve(result: R): void; reject(error: unknown): void }[];
}

interface ItemState<R> {
  busy: boolean;
  next: Batch<R> | undefined;
}

/** Coalesces writes per item key. */
export class WriteCoalescer<R> {
  readonly #items = new Map<string, ItemState<R>>();

  /**
   * Adds `delta` to the item's next write; `write` sends one write of a summed delta (all callers of a key
   * must pass equivalent writes: only the key's first pending caller's is used).
   */
  add(key: string, delta: Delta, write: (sum: Delta) => Promise<R>): Promise<R> {
    let item = this.#items.get(key);
    if (item === undefined) {
      item = { busy: false, next: undefined };
      this.#items.set(key, item);
    }
    const state = item;
    const settled = new Promise<R>((resolve, reject) => {
      const batch = (state.next ??= { delta: {}, waiters: [] });
      for (const [name, value] of Object.entries(delta)) batch.delta[name] = (batch.delta[name] ?? 0) + value;
      batch.waiters.push({ resolve, reject });
    });
    if (!state.busy) this.#drain(key, state, write);
    return settled;
  }

  #drain(key: string, state: ItemState<R>, write: (sum: Delta) => Promise<R>): void {
    const batch = state.next;
    if (batch === undefined) {
      this.#items.delete(key);
      return;
    }
    state.next = undefined;
    state.busy = true;
    write(batch.delta)
      .then(
        (result) => batch.waiters.forEach((w) => w.resolve(result)),
        (error: unknown) => batch.waiters.forEach((w) => w.reject(error)),
      )
      .finally(() => {
        state.busy = false;
        this.#drain(key, state, write);
      });
  }
}
