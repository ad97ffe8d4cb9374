import { afterEach, describe, expect, it, vi } from 'vitest';
import { MessagingTimeout, RemoteError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { createRemoteErrorCodec, serializeRemoteException } from './failure.js';
import { ReplyWaiters } from './reply-waiters.js';

afterEach(() => void vi.useRealTimers());

describe('ReplyWaiters', () => {
  const make = () => new ReplyWaiters(silentLogger, createRemoteErrorCodec([]));

  it('resolves with the final reply and rejects with the remote failure', async () => {
    const w = make();
    const ok = w.wait('a', { timeout: 5 });
    w.onReply({ _msg_id: 'a', result: { x: 1 }, failure: null, ending: true });
    expect(await ok).toEqual({ x: 1 });
    const bad = w.wait('b', { timeout: 5 });
    class Quota extends Error {}
    w.onReply({ _msg_id: 'b', result: null, failure: serializeRemoteException(new Quota('no')), ending: true });
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
      w.onReply({ _msg_id: 'm', result: null, failure: null, ending: false });
    }
    w.onReply({ _msg_id: 'm', result: 'done', failure: null, ending: true });
    expect(await monitored).toBe('done');
    const silent = w.wait('s', { timeout: 60, callMonitorTimeout: 2 });
    const expectSilent = expect(silent).rejects.toThrow(/call monitor timed out/);
    await vi.advanceTimersByTimeAsync(2001);
    await expectSilent;
  });

  it('ignores replies nobody waits for, and fails every waiter on rejectAll', async () => {
    const w = make();
    w.onReply({ _msg_id: 'nobody', result: 1, ending: true });
    const a = w.wait('a', { timeout: 5 });
    const b = w.wait('b', { timeout: 5 });
    w.rejectAll(new Error('cleaned up'));
    await expect(a).rejects.toThrow('cleaned up');
    await expect(b).rejects.toThrow('cleaned up');
  });
});
