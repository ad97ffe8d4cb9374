import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM script without type declarations
import { checkPackages } from './check-packages.mjs';

describe('repository packages', () => {
  it('every package keeps the house shape and every declared entry point loads with its brand', async () => {
    const problems = (await checkPackages()) as string[];
    expect(problems).toEqual([]);
  });
});
