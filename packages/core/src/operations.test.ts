import { describe, expect, it, vi } from 'vitest';
import { abortable, boundedWait, DEADLINE_SLACK_MS, OperationTracker } from './operations.js';

const never = <T>() => new Promise<T>(() => undefined);

describe('OperationTracker', () => {
  it('passes the outcome of an operation through and forgets it', async () => {
    const ops = new OperationTracker();
    await expect(ops.run(async () => 42)).resolves.toBe(42);
    await expect(ops.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(
      ops.run(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(ops.size).toBe(0);
  });

  it('settles an operation the driver never settles at its deadline plus the slack, and aborts its signal', async () => {
    vi.useFakeTimers();
    try {
      const ops = new OperationTracker();
      let seen: AbortSignal | undefined;
      const outcome = ops.run((signal) => ((seen = signal), never()), {
        deadline: Date.now() + 1000,
        onTimeout: () => new Error('late'),
      });
      const settled = vi.fn();
      outcome.catch(settled);
      await vi.advanceTimersByTimeAsync(1000 + DEADLINE_SLACK_MS - 1);
      expect(settled).not.toHaveBeenCalled();
      expect(seen!.aborted).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(settled).toHaveBeenCalledWith(new Error('late'));
      expect(seen!.aborted).toBe(true);
      expect(seen!.reason).toEqual(new Error('late'));
      expect(ops.size).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('ignores what the driver does after core gave up (its late rejection is handled)', async () => {
    const ops = new OperationTracker();
    let rejectLate!: (e: Error) => void;
    const outcome = ops.run(() => new Promise((_, reject) => (rejectLate = reject)), {
      deadline: Date.now(),
      onTimeout: () => new Error('timed out'),
    });
    await expect(outcome).rejects.toThrow('timed out');
    rejectLate(new Error('driver gave up later'));
    // No unhandled rejection: vitest fails the run on one.
    await new Promise((r) => setTimeout(r, 10));
  });

  it('close() rejects everything in flight at once, and everything started later', async () => {
    const ops = new OperationTracker();
    const signals: AbortSignal[] = [];
    const a = ops.run((s) => (signals.push(s), never()));
    const b = ops.run((s) => (signals.push(s), never()), {
      deadline: Date.now() + 60_000,
      onTimeout: () => new Error('x'),
    });
    ops.close(new Error('cleaned up'));
    await expect(a).rejects.toThrow('cleaned up');
    await expect(b).rejects.toThrow('cleaned up');
    expect(signals.every((s) => s.aborted)).toBe(true);
    await expect(ops.run(async () => 1)).rejects.toThrow('cleaned up');
    expect(ops.size).toBe(0);
  });
});

describe('abortable', () => {
  it('rejects with the reason when the signal aborts, and passes the outcome otherwise', async () => {
    const c = new AbortController();
    const p = abortable(never(), c.signal);
    c.abort(new Error('gave up'));
    await expect(p).rejects.toThrow('gave up');
    await expect(abortable(Promise.resolve(1), new AbortController().signal)).resolves.toBe(1);
    const done = new AbortController();
    done.abort('string reason');
    await expect(abortable(Promise.reject(new Error('ignored')), done.signal)).rejects.toThrow(
      'Aborted: string reason',
    );
  });
});

describe('boundedWait', () => {
  it('gives up after the limit and says so, ignoring a later failure', async () => {
    const late = vi.fn();
    let fail!: (e: Error) => void;
    const work = new Promise<number>((_, reject) => (fail = reject));
    await expect(boundedWait(work, 20, late)).resolves.toBeUndefined();
    expect(late).toHaveBeenCalledOnce();
    fail(new Error('later'));
    await expect(boundedWait(Promise.resolve(5), 1000, late)).resolves.toBe(5);
  });
});
