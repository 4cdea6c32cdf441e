/**
 * Models that refused a request with tools, remembered for a while so later runs skip the failing call.
 * Bounded in time: a model that gains tool support, or a refusal that was a fluke, costs web search for at
 * most `AGENT_TOOLLESS_TTL_SECONDS`, not for the container's life.
 */
export class ToolLessModels {
  readonly #until = new Map<string, number>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(ttlMs: number, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** True while `modelId` is remembered as tool-less. */
  has(modelId: string): boolean {
    const until = this.#until.get(modelId);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#until.delete(modelId);
    return false;
  }

  /** Remembers `modelId` as tool-less for the configured time. */
  add(modelId: string): void {
    if (this.#ttlMs > 0) this.#until.set(modelId, this.#now() + this.#ttlMs);
  }

  /** How many models are remembered (expired ones included until next asked). */
  get size(): number {
    return this.#until.size;
  }
}
