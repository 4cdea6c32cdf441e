import { describe, expect, it } from 'vitest';
import { localApiKeys } from '#infra/offline/api-gateway/server.ts';
import { TooManyRequestsError, toErrorResponse } from '#shared/errors.ts';
import { assertWithinBudgets, budgetedWindows, budgetStates, budgetWindowAt } from '#shared/usage/budgets.ts';
import { parseConsumers } from '#shared/usage/consumers.ts';

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

  it('reads only the budgeted windows, and states each with its use and reset', () => {
    expect(budgetedWindows(budgets)).toEqual(['minute', 'day']);
    expect(budgetedWindows({})).toEqual([]);
    expect(budgetStates(budgets, { minute: 10, day: 200, month: 9_999 }, at)).toEqual([
      { budget: 'tokensPerMinute', limit: 1_000, used: 10, resetsAt: '2026-11-23T15:05:00.000Z' },
      { budget: 'tokensPerDay', limit: 10_000, used: 200, resetsAt: '2026-11-24T00:00:00.000Z' },
    ]);
  });

  it('lets a consumer under every budget through', () => {
    expect(() => assertWithinBudgets('alice', budgetStates(budgets, { minute: 999, day: 9_999, month: 0 }, at), at)).not.toThrow();
  });

  it('refuses at the budget with 429 budget_exceeded, naming it, Retry-After until its window resets', () => {
    const refuse = () => assertWithinBudgets('alice', budgetStates(budgets, { minute: 1_000, day: 5, month: 0 }, at), at);
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
      assertWithinBudgets('alice', budgetStates(budgets, { minute: 5_000, day: 12_000, month: 0 }, at), at);
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
