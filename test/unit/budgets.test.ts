import { describe, expect, it } from 'vitest';
import { localApiKeys } from '#infra/offline/api-gateway/server.ts';
import { TooManyRequestsError, toErrorResponse } from '#shared/errors.ts';
import { assertWithinBudgets, budgetStates, budgetWindowAt } from '#shared/usage/budgets.ts';
import { parseConsumers } from '#shared/usage/consumer-settings.ts';

describe('budget windows (UTC)', () => {
  it.each([
    ['minute', '2026-11-23T15:04:59.999Z', '2026-11-23T15:04', '2026-11-23T15:05:00.000Z'],
    ['minute', '2026-12-31T23:59:10.000Z', '2026-12-31T23:59', '2027-01-01T00:00:00.000Z'],
    ['day', '2026-11-30T23:00:00.000Z', '2026-11-30', '2026-12-01T00:00:00.000Z'],
    ['day', '2028-02-28T12:00:00.000Z', '2028-02-28', '2028-02-29T00:00:00.000Z'],
    ['month', '2026-12-15T08:00:00.000Z', '2026-12', '2027-01-01T00:00:00.000Z'],
    ['month', '2026-01-31T23:59:59.000Z', '2026-01', '2026-02-01T00:00:00.000Z'],
  ] as const)('%s of %s is %s and resets at %s', (window, at, id, resetsAt) => {
    const w = budgetWindowAt(window, new Date(at));
    expect(w.id).toBe(id);
    expect(w.resetsAt.toISOString()).toBe(resetsAt);
  });
});

describe('budget check', () => {
  const at = new Date('2026-11-23T15:04:30.000Z');
  const budgets = { tokensPerMinute: 1_000, tokensPerDay: 10_000 };
  /** The consumer's month item as the store holds it: this minute's tokens, today's, the month's. */
  const item = (minute: number, day: number, month: number, minuteId = '2026-11-23T15:04') => ({
    minute: { S: minuteId },
    tokens_minute: { N: String(minute) },
    tokens_23: { N: String(day) },
    tokens: { N: String(month) },
  });

  it('states each budget with its use and reset, from the one item; another minute counts 0', () => {
    expect(budgetStates(budgets, item(10, 200, 9_999), at)).toEqual([
      { budget: 'tokensPerMinute', limit: 1_000, used: 10, resetsAt: '2026-11-23T15:05:00.000Z' },
      { budget: 'tokensPerDay', limit: 10_000, used: 200, resetsAt: '2026-11-24T00:00:00.000Z' },
    ]);
    expect(budgetStates(budgets, item(900, 200, 0, '2026-11-23T15:03'), at)[0]?.used).toBe(0);
    expect(budgetStates({ imagesPerDay: 5 }, { images_23: { N: '4' } }, at)).toEqual([
      { budget: 'imagesPerDay', limit: 5, used: 4, resetsAt: '2026-11-24T00:00:00.000Z' },
    ]);
  });

  it('counts images and Studio jobs by what the request asks: room for all of them, not just room left', () => {
    const states = budgetStates({ imagesPerDay: 5, studioJobsPerDay: 2 }, { images_23: { N: '4' }, jobs_23: { N: '1' } }, at);
    const charge = (images: number, studioJobs: number) => ({ tokens: 0, images, studioJobs });
    expect(() => assertWithinBudgets('alice', states, at, charge(1, 0))).not.toThrow();
    expect(() => assertWithinBudgets('alice', states, at, charge(2, 0))).toThrow('imagesPerDay budget (4 of 5 images)');
    expect(() => assertWithinBudgets('alice', states, at, charge(0, 1))).not.toThrow();
    expect(() => assertWithinBudgets('alice', states, at, charge(0, 2))).toThrow('studioJobsPerDay budget (1 of 2 Studio jobs)');
  });

  it('lets a consumer under every budget through', () => {
    expect(() => assertWithinBudgets('alice', budgetStates(budgets, item(999, 9_999, 0), at), at)).not.toThrow();
  });

  it('refuses at the budget with 429 budget_exceeded, naming it, Retry-After until its window resets', () => {
    const refuse = () => assertWithinBudgets('alice', budgetStates(budgets, item(1_000, 5, 0), at), at);
    expect(refuse).toThrow(TooManyRequestsError);
    try {
      refuse();
    } catch (err) {
      const res = toErrorResponse(err);
      expect(res.statusCode).toBe(429);
      expect(res.headers['retry-after']).toBe('30');
      expect(JSON.parse(res.body)).toEqual({
        error: {
          message: 'Consumer "alice" has used its tokensPerMinute budget (1000 of 1000 tokens); it resets at 2026-11-23T15:05:00.000Z.',
          type: 'rate_limit_error',
          code: 'budget_exceeded',
          param: null,
        },
      });
    }
  });

  it('when several are used up, waits for the one that resets last', () => {
    try {
      assertWithinBudgets('alice', budgetStates(budgets, item(5_000, 12_000, 0), at), at);
      expect.unreachable();
    } catch (err) {
      expect((err as TooManyRequestsError).message).toContain('tokensPerDay');
      expect(toErrorResponse(err).headers['retry-after']).toBe(String((Date.parse('2026-11-24T00:00:00Z') - at.getTime()) / 1000));
    }
  });
});

describe('budget settings', () => {
  it('reads budgets from CONSUMERS, naming a wrong one', () => {
    const map = parseConsumers('[{"apiKeyId":"k1","name":"alice","tokensPerDay":100},{"apiKeyId":"k2","name":"bob"}]');
    expect(map.get('k1')).toEqual({ name: 'alice', budgets: { tokensPerDay: 100 } });
    expect(map.get('k2')).toEqual({ name: 'bob', budgets: {} });
    expect(() => parseConsumers('[{"apiKeyId":"k1","name":"alice","tokensPerMonth":0}]')).toThrow(
      'CONSUMERS: entry 0: "tokensPerMonth" must be a whole number of tokens greater than 0',
    );
    expect(() => parseConsumers('[{"apiKeyId":"k1","name":"alice","tokensPerMinute":"10"}]')).toThrow('"tokensPerMinute"');
    expect(
      parseConsumers('[{"apiKeyId":"k1","name":"alice","imagesPerDay":3,"studioJobsPerDay":2,"contractShare":0.25}]').get('k1'),
    ).toEqual({
      name: 'alice',
      budgets: { imagesPerDay: 3, studioJobsPerDay: 2, contractShare: 0.25 },
    });
    expect(() => parseConsumers('[{"apiKeyId":"k1","name":"alice","contractShare":1.5}]')).toThrow(
      '"contractShare" must be a number above 0 and at most 1',
    );
  });

  it('gives named local keys their LOCAL_BUDGETS, and refuses a budget for no named key or a wrong one', () => {
    const { consumers } = localApiKeys('alice:aliceKey0123456789abcdef,bob:bobKey0123456789abcdef00', '{"alice":{"tokensPerMinute":500}}');
    expect(consumers.map(({ name, tokensPerMinute }) => ({ name, tokensPerMinute }))).toEqual([
      { name: 'alice', tokensPerMinute: 500 },
      { name: 'bob', tokensPerMinute: undefined },
    ]);
    expect(() => localApiKeys('alice:aliceKey0123456789abcdef', '{"carol":{"tokensPerDay":1}}')).toThrow(
      'LOCAL_BUDGETS: "carol" is not a named key of LOCAL_API_KEYS',
    );
    expect(() => localApiKeys('alice:aliceKey0123456789abcdef', '{"alice":{"tokensPerDay":-1}}')).toThrow(
      'LOCAL_BUDGETS: "alice": "tokensPerDay" must be a whole number of tokens greater than 0',
    );
    expect(() => localApiKeys('alice:aliceKey0123456789abcdef', 'nope')).toThrow('LOCAL_BUDGETS: must be JSON');
  });
});
