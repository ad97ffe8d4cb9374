import { afterEach, describe, expect, it, vi } from 'vitest';
import { MessagingTimeout, RemoteError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { createRemoteErrorCodec, serializeRemoteException } from './failure.js';
import { applyReply } from './amqp-dialect.js';
import { ReplyWaiters } from './reply-waiters.js';
import { OperationBound, OperationTracker, type Operation } from '../operations.js';
import { TransportDriverError } from '../errors.js';

afterEach(() => void vi.useRealTimers());

describe('ReplyWaiters', () => {
  const make = () => new ReplyWaiters(silentLogger, createRemoteErrorCodec([]));

  it('resolves with the final reply and rejects with the remote failure', async () => {
    const w = make();
    const ok = w.wait('a', { timeout: 5 });
    applyReply(w, { _msg_id: 'a', result: { x: 1 }, failure: null, ending: true }, silentLogger);
    expect(await ok).toEqual({ x: 1 });
    const bad = w.wait('b', { timeout: 5 });
    class Quota extends Error {}
    applyReply(
      w,
      { _msg_id: 'b', result: null, failure: serializeRemoteException(new Quota('no')), ending: true },
      silentLogger,
    );
    await expect(bad).rejects.toBeInstanceOf(RemoteError);
    expect(w.size).toBe(0);
  });

  it('times out, and heartbeats keep a monitored call alive past its monitor timeout', async () => {
    vi.useFakeTimers();
    const w = make();
    const lost = w.wait('t', { timeout: 1 });
    const expectLost = expect(lost).rejects.toBeInstanceOf(MessagingTimeout);
    await vi.advanceTimersByTimeAsync(1001);
    await expectLost;
    const explained = w.wait('e', { timeout: 1 }, () => 'No live server for topic t');
    const expectExplained = expect(explained).rejects.toThrow('No live server for topic t');
    await vi.advanceTimersByTimeAsync(1001);
    await expectExplained;
    const monitored = w.wait('m', { timeout: 60, callMonitorTimeout: 2 });
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(1500);
      applyReply(w, { _msg_id: 'm', result: null, failure: null, ending: false }, silentLogger);
    }
    applyReply(w, { _msg_id: 'm', result: 'done', failure: null, ending: true }, silentLogger);
    expect(await monitored).toBe('done');
    const silent = w.wait('s', { timeout: 60, callMonitorTimeout: 2 });
    const expectSilent = expect(silent).rejects.toThrow(/call monitor timed out/);
    await vi.advanceTimersByTimeAsync(2001);
    await expectSilent;
  });

  it('ignores replies nobody waits for, and fails every waiter on rejectAll', async () => {
    const w = make();
    applyReply(w, { _msg_id: 'nobody', result: 1, ending: true }, silentLogger);
    const a = w.wait('a', { timeout: 5 });
    const b = w.wait('b', { timeout: 5 });
    w.rejectAll(new Error('cleaned up'));
    await expect(a).rejects.toThrow('cleaned up');
    await expect(b).rejects.toThrow('cleaned up');
  });

  it('takes results, failures and heartbeats by message id, and says whether anybody waited', async () => {
    vi.useFakeTimers();
    const w = make();
    const ok = w.wait('a', { timeout: 5, callMonitorTimeout: 1 });
    await vi.advanceTimersByTimeAsync(600);
    expect(w.heartbeat('a')).toBe(true);
    await vi.advanceTimersByTimeAsync(600);
    expect(w.resolve('a', 42)).toBe(true);
    expect(await ok).toBe(42);
    expect(w.resolve('a', 43)).toBe(false);
    const remote = w.wait('r', { timeout: 5 });
    class Quota extends Error {}
    expect(w.fail('r', serializeRemoteException(new Quota('boom')))).toBe(true);
    await expect(remote).rejects.toBeInstanceOf(RemoteError);
    const local = w.wait('l', { timeout: 5 });
    const sendFailed = new MessagingTimeout('could not send');
    expect(w.fail('l', sendFailed)).toBe(true);
    await expect(local).rejects.toBe(sendFailed);
    expect(w.fail('nobody', new Error('x'))).toBe(false);
    expect(w.heartbeat('nobody')).toBe(false);
    expect(w.size).toBe(0);
  });

  describe('with the send options of a core operation', () => {
    /** What a driver gets from core: options that carry the operation. */
    class Options extends OperationBound {
      readonly timeout = 5;
      constructor(op: Operation<unknown>) {
        super(op);
      }
    }

    it('settles the caller when the driver hands back the waiter itself, and drivers that chain it still decide', async () => {
      const w = make();
      const ops = new OperationTracker();
      const direct = ops.start<unknown>((op) => w.wait('d', new Options(op)));
      const chained = ops.start<unknown>((op) => w.wait('c', new Options(op)).then((r) => `decoded ${String(r)}`));
      expect(ops.size).toBe(2);
      w.resolve('d', 1);
      w.resolve('c', 2);
      expect(await direct).toBe(1);
      expect(await chained).toBe('decoded 2');
      expect(ops.size).toBe(0);
      const failed = ops.start<unknown>(
        (op) => w.wait('f', new Options(op)),
        undefined,
        (err) => new Error(`mapped: ${(err as Error).message}`),
      );
      w.fail('f', new TransportDriverError('connection lost'));
      await expect(failed).rejects.toThrow('mapped: connection lost');
    });

    it('settles the caller when the waiter failed before the driver returned it (a send that failed at once)', async () => {
      const w = make();
      const ops = new OperationTracker();
      const sendFailed = new Error('could not publish');
      const call = ops.start<unknown>((op) => {
        const reply = w.wait('s', new Options(op));
        w.fail('s', sendFailed);
        return reply;
      });
      await expect(call).rejects.toBe(sendFailed);
      expect(ops.size).toBe(0);
      expect(w.size).toBe(0);
    });

    it('drops the waiter when the operation is given up, and ignores a late reply', async () => {
      const w = make();
      const ops = new OperationTracker();
      const call = ops.start<unknown>((op) => w.wait('g', new Options(op)));
      ops.close(new Error('cleaned up'));
      await expect(call).rejects.toThrow('cleaned up');
      expect(w.size).toBe(0);
      expect(w.resolve('g', 1)).toBe(false);
    });
  });
});
