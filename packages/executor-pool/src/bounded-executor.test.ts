import { describe, expect, it } from 'vitest';
import { BoundedExecutor } from './bounded-executor.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('BoundedExecutor', () => {
  it('never runs more than its limit and runs queued tasks in order', async () => {
    const ex = new BoundedExecutor(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (n: number) => async () => {
      running++;
      peak = Math.max(peak, running);
      order.push(n);
      await tick();
      running--;
    };
    await Promise.all([1, 2, 3, 4, 5].map((n) => ex.submit(task(n))));
    await ex.shutdown();
    expect(peak).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(running).toBe(0);
  });

  it('submit resolves only when a slot is free (back-pressure)', async () => {
    const ex = new BoundedExecutor(1);
    let release!: () => void;
    await ex.submit(() => new Promise<void>((r) => (release = r)));
    let accepted = false;
    const second = ex.submit(async () => {}).then(() => (accepted = true));
    await tick();
    expect(accepted).toBe(false);
    expect(ex.queued).toBe(1);
    release();
    await second;
    expect(accepted).toBe(true);
    await ex.shutdown();
  });

  it('shutdown waits for running and queued tasks, then refuses new ones', async () => {
    const ex = new BoundedExecutor(1);
    const done: number[] = [];
    void ex.submit(async () => {
      await tick();
      done.push(1);
    });
    void ex.submit(async () => {
      await tick();
      done.push(2);
    });
    await ex.shutdown();
    expect(done).toEqual([1, 2]);
    await expect(ex.submit(async () => {})).rejects.toThrow(/shut down/);
  });

  it('a failing task neither rejects submit nor blocks the queue', async () => {
    const ex = new BoundedExecutor(1);
    await ex.submit(async () => {
      throw new Error('boom');
    });
    let ran = false;
    await ex.submit(async () => {
      ran = true;
    });
    await ex.shutdown();
    expect(ran).toBe(true);
  });

  it('rejects a bad pool size', () => {
    expect(() => new BoundedExecutor(0)).toThrow(RangeError);
  });
});
