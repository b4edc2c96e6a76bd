import { defineConfig } from 'vitest/config';

// Layers (README, Tests): unit tests beside the code, component tests against the real RabbitMQ and
// store, config checks of the ops files with the real tools, browser tests against the running stack.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['{contract,core,api,consumer,web,testkit}/src/**/*.test.ts', 'bench/**/*.test.ts'] } },
      {
        test: {
          name: 'component',
          include: ['tests/component/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // The broker is shared by every file; files isolate themselves by queue name.
          fileParallelism: false,
        },
      },
      { test: { name: 'config', include: ['tests/config/**/*.test.ts'], testTimeout: 60_000 } },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          // Every api answer a test receives is checked against the served OpenAPI document.
          setupFiles: ['tests/support/record-answers.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
