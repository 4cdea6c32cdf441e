import { describe, expect, it } from 'vitest';
import { WriteCoalescer, type Delta } from '#shared/usage/coalesce.ts';

/** A write that the test completes by hand, recording what it was asked to add. */
function manualWrites() {
  const sent: Delta[] = [];
  const open: { resolve(v: string): void; reject(e: Error): void }[] = [];
  const write = (sum: Delta) =>
    new Promise<string>((resolve, reject) => {
      sent.push(sum);
      open.push({ resolve, reject });
    });
  return { sent, open, write };
}

describe('write coalescing', () => {
  it('writes at once when idle, sums what arrives meanwhile into one next write, and settles each caller with its write', async () => {
    const c = new WriteCoalescer<string>();
    const { sent, open, write } = manualWrites();
    const first = c.add('k', { requests: 1, tokens: 10 }, write);
    const second = c.add('k', { requests: 1, tokens: 5 }, write);
    const third = c.add('k', { requests: 1, tokens: 7 }, write);
    expect(sent).toEqual([{ requests: 1, tokens: 10 }]);
    open[0]?.resolve('w1');
    expect(await first).toBe('w1');
    await Promise.resolve();
    expect(sent).toEqual([
      { requests: 1, tokens: 10 },
      { requests: 2, tokens: 12 },
    ]);
    open[1]?.resolve('w2');
    expect(await Promise.all([second, third])).toEqual(['w2', 'w2']);
  });

  it('keeps items apart, and passes a failed write to every caller whose delta it carried', async () => {
    const c = new WriteCoalescer<string>();
    const { sent, open, write } = manualWrites();
    const a = c.add('a', { n: 1 }, write);
    const b = c.add('b', { n: 2 }, write);
    expect(sent).toEqual([{ n: 1 }, { n: 2 }]);
    const a2 = c.add('a', { n: 3 }, write);
    open[0]?.reject(new Error('throttled'));
    await expect(a).rejects.toThrow('throttled');
    await Promise.resolve();
    open[2]?.reject(new Error('throttled again'));
    await expect(a2).rejects.toThrow('throttled again');
    open[1]?.resolve('ok');
    expect(await b).toBe('ok');
  });
});
