// Runs before every test file: the `awslambda` global that response-streaming handlers need at import
// time, metrics off, and the leak guard. Functions log at DEBUG, their most talkative level, so every line
// any level could print passes the guard; tests that need another level set it in `vi.hoisted`.
import { afterAll, expect } from 'vitest';
import { installAwsLambdaShim } from '#infra/offline/api-gateway/awslambda-shim.ts';
import { guardProcessOutput, leaks } from '#test/helpers/leak-guard.ts';

installAwsLambdaShim();
process.env.POWERTOOLS_LOG_LEVEL ??= 'DEBUG';
process.env.POWERTOOLS_DEV ??= 'false';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
guardProcessOutput();

afterAll(() => {
  expect(leaks, 'a sentinel credential reached a response or a log line').toEqual([]);
});
