// The official checkpointer validation suite runs on the Vitest its package brings (its `validate` registers
// tests with that Vitest, not the project's): test/integration/checkpointer.test.ts starts it with this config.
export default { test: { include: ['test/checkpoint/*.suite.ts'], globals: true, testTimeout: 60_000, hookTimeout: 120_000 } };
