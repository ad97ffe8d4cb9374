import { describe, expect, it } from 'vitest';
import { ReconnectPolicy } from './reconnect-policy.js';

describe('ReconnectPolicy', () => {
  it('dials every host in turn from the chosen start, wrapping around', () => {
    const policy = new ReconnectPolicy(['a', 'b', 'c'], { interval: 1, backoff: 2, max: 30 }, 1);
    expect([1, 2, 3, 4, 5].map(() => policy.nextHost())).toEqual(['b', 'c', 'a', 'b', 'c']);
  });

  it('starts at a random host by default', () => {
    const starts = new Set(
      Array.from({ length: 200 }, () =>
        new ReconnectPolicy(['a', 'b'], { interval: 1, backoff: 2, max: 30 }).nextHost(),
      ),
    );
    expect(starts).toEqual(new Set(['a', 'b']));
  });

  it('multiplies the delay by the backoff up to the maximum, and starts over once connected', () => {
    const policy = new ReconnectPolicy(['a'], { interval: 1, backoff: 3, max: 20 }, 0);
    expect([1, 2, 3, 4, 5].map(() => policy.nextDelay())).toEqual([1000, 3000, 9000, 20000, 20000]);
    policy.connected();
    expect(policy.nextDelay()).toBe(1000);
  });

  it('a backoff of 1 keeps the delay constant', () => {
    const policy = new ReconnectPolicy(['a'], { interval: 2, backoff: 1, max: 30 }, 0);
    expect([policy.nextDelay(), policy.nextDelay(), policy.nextDelay()]).toEqual([2000, 2000, 2000]);
  });

  it('a backoff under 1 never shortens the delay below the interval (no busy loop)', () => {
    const policy = new ReconnectPolicy(['a'], { interval: 1, backoff: 0, max: 30 }, 0);
    expect([policy.nextDelay(), policy.nextDelay(), policy.nextDelay()]).toEqual([1000, 1000, 1000]);
  });

  it('refuses an empty host list', () => {
    expect(() => new ReconnectPolicy([], { interval: 1, backoff: 2, max: 30 })).toThrow(RangeError);
  });
});
