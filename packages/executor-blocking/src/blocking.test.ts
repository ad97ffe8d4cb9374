import { describe, expect, it } from 'vitest';
import { blockingExecutor } from './index.js';

describe('blocking executor', () => {
  it('runs tasks one at a time, in order', async () => {
    const ex = blockingExecutor.create({ poolSize: 64 });
    const log: string[] = [];
    const task = (n: number) => async () => {
      log.push(`start ${n}`);
      await new Promise((r) => setTimeout(r, 5));
      log.push(`end ${n}`);
    };
    await Promise.all([1, 2, 3].map((n) => ex.submit(task(n))));
    await ex.shutdown();
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });
});
