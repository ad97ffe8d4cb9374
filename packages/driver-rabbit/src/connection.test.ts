import { describe, expect, it } from 'vitest';
import { TransportURL } from '@oslo-messaging/core';
import { hostsOf, vhostOf } from './connection.js';

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
