// Parsing follows Python oslo.messaging 14's TransportURL.parse. The expected values below were
// produced by running the installed Python library on each URL (reference §3.3 and tests/test_urls.py).
import { describe, expect, it } from 'vitest';
import { InvalidTransportURL, MessagingException } from './errors.js';
import { TransportURL, unquote } from './transport-url.js';

type HostRow = [string | null, number | null, string | null, string | null];
interface Case {
  url: string;
  transport: string;
  vhost: string | null;
  hosts: HostRow[];
  query?: Record<string, string>;
  /** Python's str() of the parsed URL (passwords shown), compared with format({ revealPasswords: true }). */
  str: string;
}

const CASES: Case[] = [
  // reference §3.3 worked examples
  { url: 'rabbit://', transport: 'rabbit', vhost: null, hosts: [], str: 'rabbit:///' },
  { url: 'rabbit:///', transport: 'rabbit', vhost: '', hosts: [], str: 'rabbit:///' },
  {
    url: 'rabbit://guest:guest@localhost:5672/',
    transport: 'rabbit',
    vhost: '',
    hosts: [['localhost', 5672, 'guest', 'guest']],
    str: 'rabbit://guest:guest@localhost:5672/',
  },
  {
    url: 'rabbit://guest:guest@localhost:5672//',
    transport: 'rabbit',
    vhost: '/',
    hosts: [['localhost', 5672, 'guest', 'guest']],
    str: 'rabbit://guest:guest@localhost:5672//',
  },
  {
    url: 'rabbit://u:p@h1:5672,u2:p2@h2:5673/nova',
    transport: 'rabbit',
    vhost: 'nova',
    hosts: [
      ['h1', 5672, 'u', 'p'],
      ['h2', 5673, 'u2', 'p2'],
    ],
    str: 'rabbit://u:p@h1:5672,u2:p2@h2:5673/nova',
  },
  {
    url: 'rabbit://u:p@h1,h2:5673/vh?rabbit_qos_prefetch_count=10&heartbeat_timeout_threshold=30',
    transport: 'rabbit',
    vhost: 'vh',
    hosts: [
      ['h1', null, 'u', 'p'],
      ['h2', 5673, null, null],
    ],
    query: { rabbit_qos_prefetch_count: '10', heartbeat_timeout_threshold: '30' },
    str: 'rabbit://u:p@h1,h2:5673/vh?rabbit_qos_prefetch_count=10&heartbeat_timeout_threshold=30',
  },
  {
    url: 'rabbit://us%40er:p%40ss%3Aw%2Fd@host/%2Fvh',
    transport: 'rabbit',
    vhost: '/vh',
    hosts: [['host', null, 'us@er', 'p@ss:w/d']],
    str: 'rabbit://us%40er:p%40ss%3Aw%2Fd@host//vh',
  },
  {
    url: 'rabbit://u:p@[::1]:5672/',
    transport: 'rabbit',
    vhost: '',
    hosts: [['::1', 5672, 'u', 'p']],
    str: 'rabbit://u:p@[::1]:5672/',
  },
  {
    url: 'rabbit://a@b:pw@host/',
    transport: 'rabbit',
    vhost: '',
    hosts: [['host', null, 'a@b', 'pw']],
    str: 'rabbit://a%40b:pw@host/',
  },
  {
    url: 'rabbit://u:p:q@host/',
    transport: 'rabbit',
    vhost: '',
    hosts: [['host', null, 'u', 'p:q']],
    str: 'rabbit://u:p%3Aq@host/',
  },
  {
    url: 'rabbit://u:@host/',
    transport: 'rabbit',
    vhost: '',
    hosts: [['host', null, 'u', '']],
    str: 'rabbit://u:@host/',
  },
  {
    url: 'rabbit://:p@host/',
    transport: 'rabbit',
    vhost: '',
    hosts: [['host', null, '', 'p']],
    str: 'rabbit://:p@host/',
  },
  {
    url: 'rabbit://u:p@host/vh?a=1&a=2',
    transport: 'rabbit',
    vhost: 'vh',
    hosts: [['host', null, 'u', 'p']],
    query: { a: '1,2' },
    str: 'rabbit://u:p@host/vh?a=1%2C2',
  },
  { url: 'Rabbit://H/', transport: 'rabbit', vhost: '', hosts: [['H', null, null, null]], str: 'rabbit://H/' },
  {
    url: 'amqp://user:pass@router:5672/',
    transport: 'amqp',
    vhost: '',
    hosts: [['router', 5672, 'user', 'pass']],
    str: 'amqp://user:pass@router:5672/',
  },
  {
    url: 'kafka://k1:9092,k2:9092/',
    transport: 'kafka',
    vhost: '',
    hosts: [
      ['k1', 9092, null, null],
      ['k2', 9092, null, null],
    ],
    str: 'kafka://k1:9092,k2:9092/',
  },
  {
    url: 'zmq+redis://127.0.0.1:6379/',
    transport: 'zmq+redis',
    vhost: '',
    hosts: [['127.0.0.1', 6379, null, null]],
    str: 'zmq+redis://127.0.0.1:6379/',
  },
  { url: 'kombu+memory:////', transport: 'kombu+memory', vhost: '/', hosts: [], str: 'kombu+memory:////' },
  { url: 'rabbit:nohost', transport: 'rabbit', vhost: null, hosts: [], str: 'rabbit:///' },
  // oslo tests/test_urls.py scenarios
  { url: 'foo:', transport: 'foo', vhost: null, hosts: [], str: 'foo:///' },
  { url: 'foo:////', transport: 'foo', vhost: '/', hosts: [], str: 'foo:////' },
  { url: 'foo://u:p@/bar', transport: 'foo', vhost: 'bar', hosts: [[null, null, 'u', 'p']], str: 'foo://u:p@/bar' },
  {
    url: 'foo://u%24:p%26@host:1234/%24',
    transport: 'foo',
    vhost: '$',
    hosts: [['host', 1234, 'u$', 'p&']],
    str: 'foo://u%24:p%26@host:1234/%24',
  },
  { url: 'foo://host:10/', transport: 'foo', vhost: '', hosts: [['host', 10, null, null]], str: 'foo://host:10/' },
  {
    url: 'foo://user@host/',
    transport: 'foo',
    vhost: '',
    hosts: [['host', null, 'user', null]],
    str: 'foo://user@host/',
  },
  {
    url: 'foo://[ffff::1]/',
    transport: 'foo',
    vhost: '',
    hosts: [['ffff::1', null, null, null]],
    str: 'foo://[ffff::1]/',
  },
  {
    url: 'foo://[ffff::1]:1234/',
    transport: 'foo',
    vhost: '',
    hosts: [['ffff::1', 1234, null, null]],
    str: 'foo://[ffff::1]:1234/',
  },
  {
    url: 'foo://u:p@h1,u2:p2@h2,h3/bar',
    transport: 'foo',
    vhost: 'bar',
    hosts: [
      ['h1', null, 'u', 'p'],
      ['h2', null, 'u2', 'p2'],
      ['h3', null, null, null],
    ],
    str: 'foo://u:p@h1,u2:p2@h2,h3/bar',
  },
  { url: 'foo://h/a/b', transport: 'foo', vhost: 'a/b', hosts: [['h', null, null, null]], str: 'foo://h/a/b' },
  { url: 'foo://h/%2F', transport: 'foo', vhost: '/', hosts: [['h', null, null, null]], str: 'foo://h//' },
  { url: 'foo://h/vh#frag', transport: 'foo', vhost: 'vh', hosts: [['h', null, null, null]], str: 'foo://h/vh' },
  {
    url: 'foo://h?x=1&y=&z=a+b%20c',
    transport: 'foo',
    vhost: null,
    hosts: [['h', null, null, null]],
    query: { x: '1', z: 'a b c' },
    str: 'foo://h/?x=1&z=a+b+c',
  },
];

function rows(url: TransportURL): HostRow[] {
  return url.hosts.map((h) => [h.hostname ?? null, h.port ?? null, h.username ?? null, h.password ?? null]);
}

describe('TransportURL.parse (as Python oslo.messaging 14)', () => {
  it.each(CASES)('$url', (c) => {
    const url = TransportURL.parse(c.url);
    expect(url.transport).toBe(c.transport);
    expect(url.virtualHost ?? null).toBe(c.vhost);
    expect(rows(url)).toEqual(c.hosts);
    expect({ ...url.query }).toEqual(c.query ?? {});
  });

  it.each(CASES)('formats $url like Python str() when passwords are revealed', (c) => {
    expect(TransportURL.parse(c.url).format({ revealPasswords: true })).toBe(c.str);
  });

  it('round-trips: parsing the formatted URL gives the same URL', () => {
    for (const c of CASES) {
      const url = TransportURL.parse(c.url);
      const again = TransportURL.parse(url.format({ revealPasswords: true }));
      // the formatted form always has a path, so an absent vhost becomes ''
      expect(rows(again)).toEqual(rows(url));
      expect(again.virtualHost).toBe(url.virtualHost ?? '');
      expect({ ...again.query }).toEqual({ ...url.query });
    }
  });

  it('drops blank query values, decodes + and %XX, and joins repeated keys', () => {
    const url = TransportURL.parse('foo://h?x=1&y=&z=a+b%20c&x=2&flag');
    expect({ ...url.query }).toEqual({ x: '1,2', z: 'a b c' });
    expect(url.virtualHost).toBeUndefined();
  });

  it('names the driver as the scheme up to the first +', () => {
    expect(TransportURL.parse('zmq+redis://h/').driver).toBe('zmq');
    expect(TransportURL.parse('kombu+memory:////').driver).toBe('kombu');
    expect(TransportURL.parse('rabbit://').driver).toBe('rabbit');
  });

  it('is immutable', () => {
    const url = TransportURL.parse('rabbit://u:p@h/');
    expect(Object.isFrozen(url)).toBe(true);
    expect(Object.isFrozen(url.hosts)).toBe(true);
    expect(Object.isFrozen(url.hosts[0])).toBe(true);
    expect(Object.isFrozen(url.query)).toBe(true);
  });
});

describe('TransportURL errors', () => {
  function error(url: unknown): InvalidTransportURL {
    try {
      TransportURL.parse(url);
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidTransportURL);
      expect(err).toBeInstanceOf(MessagingException);
      return err as InvalidTransportURL;
    }
    throw new Error(`${String(url)} parsed`);
  }

  it('E1: a port that is not a number', () => {
    const e = error('rabbit://u:p@host:notaport/');
    expect(e.reason).toMatch(/the port of host "host" is not a number/);
    expect(e.code).toBe('OSLO_INVALID_TRANSPORT_URL');
    expect(e.url).toBe('rabbit://u:p@host:notaport/');
  });

  it('E2: an IPv6 host without its closing bracket', () => {
    expect(error('rabbit://u:p@[::1/').reason).toMatch(/IPv6.*missing "\]"/);
  });

  it('E3: a # in the password starts the fragment, so the password is read as a port', () => {
    const e = error('rabbit://u:p#x@host/');
    expect(e.reason).toMatch(
      /the port of host "u" is not a number .*"#" or "\/" in a password must be percent-encoded/,
    );
  });

  it('E4: no scheme', () => {
    expect(error('//host/').reason).toBe('No scheme specified');
    expect(error('').reason).toBe('No scheme specified');
    expect(TransportURL.parse('host:5672').transport).toBe('host'); // a scheme and a path, as urlparse reads it
  });

  it('a URL that is not a string', () => {
    const e = error(42);
    expect(e.reason).toBe('Wrong URL type');
    expect(e.message).toContain('(number)');
  });

  it('garbage after an IPv6 host, whitespace in hosts, port out of range, empty query key', () => {
    expect(error('foo://[::1]x/').reason).toMatch(/unexpected "x" after IPv6 host/);
    expect(error('foo://a b/').reason).toMatch(/whitespace/);
    expect(error('foo://h:70000/').reason).toMatch(/out of range/);
    expect(error('foo://h/?=v').reason).toMatch(/empty name/);
  });

  it('never shows a password in the error message', () => {
    for (const url of [
      'rabbit://u:s3cret@host:bad/',
      'rabbit://u:p@h1,u2:s3cret@h2:bad/',
      'rabbit://a@b:s3cret@host:bad/',
      'rabbit://u:s3cret#x@host/',
      'rabbit://u:s3c/ret@host/',
    ]) {
      const e = error(url);
      expect(e.message).not.toMatch(/s3c/);
      expect(e.message).toContain('Invalid transport URL');
    }
  });
});

describe('TransportURL formatting', () => {
  it('masks every password in toString, toJSON and format()', () => {
    const url = TransportURL.parse('rabbit://u:secret1@h1:5672,u2:secret2@h2/vh');
    expect(url.toString()).toBe('rabbit://u:****@h1:5672,u2:****@h2/vh');
    expect(JSON.stringify({ url })).toBe('{"url":"rabbit://u:****@h1:5672,u2:****@h2/vh"}');
    expect(url.format()).not.toContain('secret');
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- what a template literal prints is the point
    expect(`${url}`).not.toContain('secret');
  });

  it('shows an empty password masked too, and a user without password as is', () => {
    expect(TransportURL.parse('rabbit://u:@host/').toString()).toBe('rabbit://u:****@host/');
    expect(TransportURL.parse('rabbit://u@host/').toString()).toBe('rabbit://u@host/');
  });

  it('formats URLs built from fields like oslo (test_urls format scenarios)', () => {
    expect(new TransportURL({ transport: 'testtransport' }).format()).toBe('testtransport:///');
    expect(new TransportURL({ transport: 'testtransport', virtualHost: '/vhost' }).format()).toBe(
      'testtransport:////vhost',
    );
    const h = { hostname: 'host', port: 10, username: 'b$', password: 's&' };
    expect(
      new TransportURL({ transport: 'testtransport', virtualHost: '/$', hosts: [h] }).format({ revealPasswords: true }),
    ).toBe('testtransport://b%24:s%26@host:10//%24');
  });
});

describe('TransportURL.equals', () => {
  it('ignores the query but not hosts, vhost or transport', () => {
    const a = TransportURL.parse('rabbit://u:p@h:5672/vh?x=1');
    expect(a.equals(TransportURL.parse('rabbit://u:p@h:5672/vh?x=2'))).toBe(true);
    expect(a.equals(TransportURL.parse('RABBIT://u:p@h:5672/vh'))).toBe(true);
    expect(a.equals(TransportURL.parse('rabbit://u:p@h:5673/vh'))).toBe(false);
    expect(a.equals(TransportURL.parse('rabbit://u:q@h:5672/vh'))).toBe(false);
    expect(a.equals(TransportURL.parse('rabbit://u:p@h:5672/other'))).toBe(false);
    expect(a.equals(TransportURL.parse('kombu://u:p@h:5672/vh'))).toBe(false);
    expect(TransportURL.parse('rabbit://h').equals(TransportURL.parse('rabbit://h/'))).toBe(false);
  });
});

describe('unquote', () => {
  it('decodes valid UTF-8 runs and leaves invalid escapes alone, like urllib.parse.unquote', () => {
    expect(unquote('a%20b%2Fc')).toBe('a b/c');
    expect(unquote('%C3%A9t%C3%A9')).toBe('été');
    expect(unquote('100%')).toBe('100%');
    expect(unquote('%zz')).toBe('%zz');
    expect(unquote('a+b')).toBe('a+b');
  });
});
