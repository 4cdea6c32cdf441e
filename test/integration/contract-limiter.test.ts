// The IONOS contract limiter (GCRA in the usage table) against the embedded DynamoDB-compatible store:
// the burst at once, then one slot per interval, the wait within a deadline, separate image slots, and
// the store's errors passed to the caller (which fails open, see budgets-and-contract.test.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_AWS_ENV, startEmbeddedDynamo } from '#infra/offline/dynamodb.ts';
import { TooManyRequestsError } from '#shared/errors.ts';
import { createContractLimiter } from '#shared/usage/contract.ts';
import { openUsageStore } from '#shared/usage/store.ts';

beforeAll(() => void Object.assign(process.env, EMBEDDED_AWS_ENV));

/** A limiter on a fresh table of its own (each test its own buckets). */
async function limiter(limits: Parameters<typeof createContractLimiter>[1]) {
  const table = await startEmbeddedDynamo();
  return { limiter: createContractLimiter(openUsageStore({ tableName: table.tableName, endpoint: table.endpoint }), limits), table };
}
const refusal = async (take: Promise<void>) => {
  try {
    await take;
    return undefined;
  } catch (err) {
    return err as TooManyRequestsError;
  }
};

describe('contract limiter', () => {
  it('allows the burst at once, then refuses with Retry-After until the next slot, and gives one slot per interval', async () => {
    // One slot a second: the six takes at once must all land within the interval, a margin a busy machine keeps.
    const { limiter: l, table } = await limiter({ requests: { perSecond: 1, burst: 3 }, images: { perSecond: 0, burst: 1 } });
    try {
      const results = await Promise.all(Array.from({ length: 6 }, () => refusal(l.take(['requests']))));
      expect(results.filter((r) => r === undefined)).toHaveLength(3);
      const refused = results.filter((r) => r !== undefined);
      for (const err of refused) {
        expect(err).toBeInstanceOf(TooManyRequestsError);
        expect(err.code).toBe('contract_rate_limited');
        expect(err.headers['retry-after']).toBe('1'); // up to 1 s, in whole seconds
      }
      // Waiting for the next slot (up to 1 s at 1/s) within a deadline succeeds.
      await expect(l.take(['requests'], { waitUntil: Date.now() + 2_000 })).resolves.toBeUndefined();
      // A deadline shorter than the next slot is refused at once.
      expect(await refusal(l.take(['requests'], { waitUntil: Date.now() + 1 }))).toBeInstanceOf(TooManyRequestsError);
    } finally {
      await table.close();
    }
  });

  it('holds images in their own bucket, and an image refused spends no request slot', async () => {
    const { limiter: l, table } = await limiter({ requests: { perSecond: 1, burst: 2 }, images: { perSecond: 1 / 60, burst: 1 } });
    try {
      await l.take(['requests', 'images']);
      const err = await refusal(l.take(['requests', 'images']));
      expect(err?.message).toContain('image generation');
      expect(Number(err?.headers['retry-after'])).toBeGreaterThan(50); // the next image slot is a minute away
      await expect(l.take(['requests'])).resolves.toBeUndefined(); // the second request slot was not spent
      expect(await refusal(l.take(['requests']))).toBeInstanceOf(TooManyRequestsError);
    } finally {
      await table.close();
    }
  });

  it("holds each consumer to its share of the contract, so one consumer's fan-out leaves slots for the others", async () => {
    const { limiter: l, table } = await limiter({ requests: { perSecond: 1, burst: 10 }, images: { perSecond: 0, burst: 1 } });
    try {
      const alice = { consumer: 'alice', fraction: 0.5 };
      const results = await Promise.all(Array.from({ length: 8 }, () => refusal(l.take(['requests'], { share: alice }))));
      expect(results.filter((r) => r === undefined)).toHaveLength(5); // half the burst of 10
      expect(results.find((r) => r !== undefined)?.code).toBe('contract_share_exceeded');
      // Bob's share is untouched, and the contract still has the other half of its burst.
      const bob = { consumer: 'bob', fraction: 0.5 };
      const bobs = await Promise.all(Array.from({ length: 5 }, () => refusal(l.take(['requests'], { share: bob }))));
      expect(bobs.every((r) => r === undefined)).toBe(true);
      // Now the contract itself is full: anyone is refused with the contract's code.
      expect((await refusal(l.take(['requests'], { share: { consumer: 'carol', fraction: 1 } })))?.code).toBe('contract_rate_limited');
    } finally {
      await table.close();
    }
  });

  it("does not touch the store for a limit that is off, and passes the store's errors on", async () => {
    const off = createContractLimiter(openUsageStore({ tableName: 'usage', endpoint: 'http://127.0.0.1:9' }), {
      requests: { perSecond: 0, burst: 1 },
      images: { perSecond: 0, burst: 1 },
    });
    await expect(off.take(['requests', 'images'])).resolves.toBeUndefined();
    const down = createContractLimiter(openUsageStore({ tableName: 'usage', endpoint: 'http://127.0.0.1:9' }), {
      requests: { perSecond: 5, burst: 10 },
      images: { perSecond: 0, burst: 1 },
    });
    const err = await refusal(down.take(['requests']));
    expect(err).toBeDefined();
    expect(err).not.toBeInstanceOf(TooManyRequestsError);
  });
});
