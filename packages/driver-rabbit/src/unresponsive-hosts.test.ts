import { describe, expect, it } from 'vitest';
import { isUnanswered, UnresponsiveHosts } from './unresponsive-hosts.js';

describe('hosts that stopped answering', () => {
  const keys = ['a:1', 'b:1', 'c:1'];

  it('are tried last, round-robin order kept within each group', () => {
    const hosts = new UnresponsiveHosts(30_000);
    expect(hosts.order(keys, 1)).toEqual([1, 2, 0]);
    hosts.mark('b:1');
    expect(hosts.order(keys, 1)).toEqual([2, 0, 1]);
    hosts.mark('a:1');
    expect(hosts.order(keys, 0)).toEqual([2, 0, 1]);
  });

  it('are all tried when every host stopped answering (a single-host URL keeps its host)', () => {
    const hosts = new UnresponsiveHosts(30_000);
    for (const k of keys) hosts.mark(k);
    expect(hosts.order(keys, 2)).toEqual([2, 0, 1]);
    hosts.mark('only:1');
    expect(hosts.order(['only:1'], 0)).toEqual([0]);
  });

  it('are forgotten after the memory period, or at once when a connection to them succeeds', () => {
    let now = 1000;
    const hosts = new UnresponsiveHosts(30_000, () => now);
    hosts.mark('a:1');
    hosts.mark('b:1');
    now += 29_999;
    expect([hosts.has('a:1'), hosts.has('b:1')]).toEqual([true, true]);
    hosts.clear('b:1');
    expect(hosts.has('b:1')).toBe(false);
    now += 1;
    expect(hosts.has('a:1')).toBe(false);
    expect(hosts.order(keys, 0)).toEqual([0, 1, 2]);
  });
});

describe('a failed connection attempt', () => {
  it('counts as unanswered on a socket or handshake timeout only', () => {
    expect(isUnanswered(new Error('connect ETIMEDOUT'))).toBe(true); // amqplib's socket timeout
    expect(isUnanswered(Object.assign(new Error('connect failed'), { code: 'ETIMEDOUT' }))).toBe(true);
    expect(isUnanswered(new Error('The handshake timed out'))).toBe(true);
    expect(isUnanswered(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isUnanswered(new Error('Handshake terminated by server: 403 (ACCESS-REFUSED)'))).toBe(false);
    expect(isUnanswered('ETIMEDOUT')).toBe(false);
  });
});
