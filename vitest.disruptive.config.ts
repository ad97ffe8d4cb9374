import { defineConfig } from 'vitest/config';

// Tests that disturb shared services (restart or pause RabbitMQ, Redis, the Proton broker) run
// after the main suite, one file at a time, so they never break another file's broker traffic.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.disruptive.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
