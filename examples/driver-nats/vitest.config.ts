import { defineConfig } from 'vitest/config';

// `npm test` in this package: the conformance suite and the driver's own tests (NATS on 127.0.0.1:4222).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
