import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as amqp from 'amqplib';
import { TransportURL } from '@oslo-messaging/core';
import { hostsOf, vhostOf, watchHeartbeats } from './connection.js';

const parse = (url: string) => TransportURL.parse(url);

describe('broker hosts of a transport URL', () => {
  it('defaults to guest:guest@localhost:5672 (dialled as 127.0.0.1), vhost /', () => {
    const url = parse('rabbit://');
    expect(hostsOf(url)).toEqual([
      { name: 'localhost', hostname: '127.0.0.1', port: 5672, username: 'guest', password: 'guest' },
    ]);
    expect(vhostOf(url)).toBe('/');
  });

  it('lists every host for failover, each with its own credentials, and the vhost', () => {
    const url = parse('rabbit://alice:s3cret@mq1:5673,bob:pw@mq2,mq3/nova');
    expect(hostsOf(url)).toEqual([
      { name: 'mq1', hostname: 'mq1', port: 5673, username: 'alice', password: 's3cret' },
      { name: 'mq2', hostname: 'mq2', port: 5672, username: 'bob', password: 'pw' },
      { name: 'mq3', hostname: 'mq3', port: 5672, username: 'guest', password: 'guest' },
    ]);
    expect(vhostOf(url)).toBe('nova');
  });

  it('decodes percent-encoded credentials and keeps IPv6 hosts', () => {
    const [h] = hostsOf(parse('kombu://us%40r:p%2Fw@[::1]:5672/'));
    expect(h).toMatchObject({ hostname: '::1', port: 5672, username: 'us@r', password: 'p/w' });
  });

  it('the vhost "/" is written as %2F', () => {
    expect(vhostOf(parse('rabbit://guest:guest@127.0.0.1:5672/%2F'))).toBe('/');
  });
});

describe('heartbeat watchdog', () => {
  afterEach(() => void vi.useRealTimers());

  /** A connection whose socket counts the bytes it read, as net.Socket does. */
  const connectionWith = (sock: { bytesRead: number; destroy: (err?: Error) => void }) =>
    ({ connection: { stream: sock } }) as unknown as amqp.ChannelModel;

  it('keeps a connection that receives anything, and drops one silent for a threshold within one check of it', () => {
    vi.useFakeTimers();
    const destroyed: Error[] = [];
    const sock = { bytesRead: 0, destroy: (err?: Error) => void destroyed.push(err!) };
    const silences: number[] = [];
    // Threshold 6 s, 3 checks per threshold: a check every 2 s.
    watchHeartbeats(connectionWith(sock), 6, 3, (s) => void silences.push(s));
    for (let i = 0; i < 20; i++) {
      sock.bytesRead += 8; // a heartbeat frame, say, every second
      vi.advanceTimersByTime(1000);
    }
    expect(destroyed).toEqual([]);
    // Silence from now on: gone after the threshold, and no later than one check after it.
    vi.advanceTimersByTime(5999);
    expect(destroyed).toEqual([]);
    vi.advanceTimersByTime(2001);
    expect(destroyed).toHaveLength(1);
    expect(destroyed[0]!.message).toMatch(/Missed heartbeats from the broker for \d+ s/);
    expect(silences).toHaveLength(1);
    expect(silences[0]).toBeGreaterThanOrEqual(6);
    // Dropped once: the watchdog stopped itself.
    vi.advanceTimersByTime(60_000);
    expect(destroyed).toHaveLength(1);
  });

  it('stops when told to, and watches nothing with a threshold of 0', () => {
    vi.useFakeTimers();
    const destroyed: unknown[] = [];
    const sock = { bytesRead: 0, destroy: (err?: Error) => void destroyed.push(err) };
    const stop = watchHeartbeats(connectionWith(sock), 2, 2, () => undefined);
    stop();
    watchHeartbeats(connectionWith(sock), 0, 2, () => undefined);
    vi.advanceTimersByTime(60_000);
    expect(destroyed).toEqual([]);
  });
});
