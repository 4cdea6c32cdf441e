import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // Integration tests start servers on ephemeral loopback ports; CDK tests bundle with esbuild.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
