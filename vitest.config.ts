import { defineConfig } from 'vitest/config';

// One config for the whole monorepo: unit tests sit beside their sources (`*.test.ts`); tests that
// need a real broker are named `*.integration.test.ts` and run in the same `npm test`.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'scripts/**/*.test.ts', 'examples/**/*.test.ts', 'docs/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.disruptive.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    restoreMocks: true,
    reporters: process.env['CI'] ? ['default'] : ['default'],
  },
});
