// The agent's current_datetime tool: each call tells the time of its own moment, in the zone asked for
// (its formatters are kept per zone), and a zone that does not exist is an error, not a guess.
import { describe, expect, it } from 'vitest';
import { createTools } from '#shared/agent/tools.ts';

const clock = (...dates: string[]) => {
  const queue = dates.map((d) => new Date(d));
  return () => queue.shift() ?? new Date(0);
};

describe('current_datetime', () => {
  const datetime = (now: () => Date) =>
    createTools({ tavilyApiKey: undefined, tavilyBaseUrl: 'http://127.0.0.1:9', timeoutMs: 1_000, now }).find(
      (t) => t.name === 'current_datetime',
    ) as { invoke(input: unknown): Promise<string> };

  it('tells each call its own time in the zone asked for, UTC without one', async () => {
    const tool = datetime(clock('2026-07-01T10:00:00Z', '2026-12-24T18:30:00Z', '2026-12-24T18:30:00Z'));
    // The wording around the date is ICU's (a comma after the weekday, say), so only the facts are compared.
    expect(await tool.invoke({ timezone: 'Europe/Berlin' })).toMatch(
      /^Wednesday,? 1 July 2026 at 12:00:00 \S+ \(Europe\/Berlin\); ISO 8601 UTC: 2026-07-01T10:00:00\.000Z$/,
    );
    expect(await tool.invoke({ timezone: 'Europe/Berlin' })).toMatch(
      /^Thursday,? 24 December 2026 at 19:30:00 \S+ \(Europe\/Berlin\); ISO 8601 UTC: 2026-12-24T18:30:00\.000Z$/,
    );
    expect(await tool.invoke({})).toContain('18:30:00 UTC (UTC)');
  });

  it('refuses a zone that does not exist, every time', async () => {
    const tool = datetime(clock('2026-07-01T10:00:00Z', '2026-07-01T10:00:00Z'));
    await expect(tool.invoke({ timezone: 'Mars/Olympus' })).rejects.toThrow(RangeError);
    await expect(tool.invoke({ timezone: 'Mars/Olympus' })).rejects.toThrow(RangeError);
  });
});
