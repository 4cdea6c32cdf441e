import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // Integration tests start servers on ephemeral loopback ports; CDK tests bundle with esbuild.
    // Generous, as a loaded CI machine ran a 7 s lint case in 35 s: a timeout catches a hang, not slowness.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most integration time is waiting (retry back-off, timeouts under test, child processes), not CPU:
    // three files at once on two cores take half the time of vitest's default (one worker per spare core).
    maxWorkers: 3,
    // A passing run says what ran and how long it took: the console output of passing tests (fuzz
    // histograms, load figures) shows only when a test fails, and no test is listed as slow.
    silent: 'passed-only',
    slowTestThreshold: 60_000,
  },
});
