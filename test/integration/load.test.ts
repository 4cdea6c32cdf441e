// The load and soak suite at its short size (test/load/scenarios.ts; `npm run load` runs the full size):
// 64 connections on the proxy (plain and streamed) and the agent without an error, a soak whose memory
// stays within bounds, a clean exit with nothing left open, and a burst against the rate limit that gets
// 429 with Retry-After for the excess while the rest succeed.
import { describe, expect, it } from 'vitest';
import { failures, formatReport, runLoadSuite, SHORT } from '#test/load/scenarios.ts';

describe('load and soak (short)', () => {
  it('holds every expectation', async () => {
    const report = await runLoadSuite(SHORT);
    console.log(formatReport(report, SHORT).join('\n'));
    expect(report.scenarios.map((s) => s.requests)).toEqual([SHORT.requests, SHORT.requests, SHORT.requests]); // all ran, none cut by the time bound
    expect(failures(report)).toEqual([]);
  }, 240_000);
});
