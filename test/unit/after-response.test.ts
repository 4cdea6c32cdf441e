import { describe, expect, it } from 'vitest';
import { afterResponse, settleAfterResponse } from '#shared/http/after-response.ts';

const later = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('after-response work', () => {
  it('waits for the work registered before, a failed one included', async () => {
    const done: string[] = [];
    afterResponse(later(20).then(() => done.push('write')));
    afterResponse(Promise.reject(new Error('store down')));
    await settleAfterResponse();
    expect(done).toEqual(['write']);
  });

  it('ends while other invocations keep registering work (the local server runs them side by side)', async () => {
    let running = true;
    let registered = 0;
    const others = (async () => {
      while (running && registered < 200) {
        afterResponse(later(10));
        registered++;
        await later(2);
      }
    })();
    await later(5);
    await settleAfterResponse();
    const whenSettled = registered;
    running = false;
    await others;
    await settleAfterResponse();
    expect(whenSettled).toBeLessThan(200);
  });
});
