import { InvalidTransportURL } from './errors.js';

/** One broker host of a transport URL. */
export interface TransportHost {
  /** Host name or IP address (IPv6 without brackets); `undefined` when the URL names none (the driver's default). */
  readonly hostname: string | undefined;
  /** Port; `undefined` for the driver's default. */
  readonly port: number | undefined;
  /** User name, percent-decoded. */
  readonly username: string | undefined;
  /** Password, percent-decoded; masked by `toString()`. */
  readonly password: string | undefined;
}

/** Python's `urllib.parse.unquote`: decodes valid %XX runs as UTF-8, leaves anything else as it is. */
export function unquote(s: string): string {
  return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/** Python's `urllib.parse.quote(s, safe)`. */
function quote(s: string, safe = ''): string {
  return Array.from(new TextEncoder().encode(s), (b) => {
    const ch = String.fromCharCode(b);
    return /[A-Za-z0-9_.~-]/.test(ch) || safe.includes(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** Python's `urllib.parse.quote_plus`, as `urlencode` writes query items: spaces become `+`. */
function quotePlus(s: string): string {
  return quote(s, ' ').replace(/ /g, '+');
}

function parseQuery(query: string, url: string): Record<string, string> {
  const out: Record<string, string[]> = {};
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq < 0) continue; // parse_qs drops keys without a value
    const key = unquote(pair.slice(0, eq).replace(/\+/g, ' '));
    const value = unquote(pair.slice(eq + 1).replace(/\+/g, ' '));
    if (value === '') continue;
    if (key === '') throw new InvalidTransportURL(url, `query item "${pair}" has an empty name`);
    (out[key] ??= []).push(value);
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.join(',')]));
}

function parseHost(item: string, url: string): TransportHost {
  let username: string | undefined;
  let password: string | undefined;
  let hostport = item;
  const at = item.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = item.slice(0, at);
    hostport = item.slice(at + 1);
    const colon = userinfo.indexOf(':');
    if (colon >= 0) {
      username = unquote(userinfo.slice(0, colon));
      password = unquote(userinfo.slice(colon + 1));
    } else {
      username = unquote(userinfo);
    }
  }
  let hostname: string | undefined;
  let portText = '';
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0) throw new InvalidTransportURL(url, `invalid IPv6 host "${hostport}": missing "]"`);
    hostname = hostport.slice(1, close);
    const rest = hostport.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) {
      throw new InvalidTransportURL(url, `unexpected "${rest}" after IPv6 host [${hostname}]`);
    }
    portText = rest.slice(1);
  } else {
    const colon = hostport.indexOf(':');
    if (colon >= 0) {
      hostname = hostport.slice(0, colon);
      portText = hostport.slice(colon + 1);
    } else {
      hostname = hostport;
    }
  }
  if (hostname === '') hostname = undefined;
  let port: number | undefined;
  if (portText !== '') {
    if (!/^\d+$/.test(portText)) {
      throw new InvalidTransportURL(
        url,
        `the port of host "${hostname ?? ''}" is not a number (a "#" or "/" in a password must be percent-encoded)`,
      );
    }
    port = Number(portText);
    if (port > 65535) throw new InvalidTransportURL(url, `port ${port} is out of range (0-65535)`);
  }
  return Object.freeze({ hostname, port, username, password });
}

/**
 * A parsed transport URL: `driver://[user:pass@]host[:port][,[user:pass@]host[:port]...]/[vhost][?opt=val&...]`.
 * Parsing follows Python oslo.messaging's `TransportURL.parse` exactly; errors are {@link InvalidTransportURL}.
 */
export class TransportURL {
  /** The full scheme, lower-cased, e.g. `rabbit` or `zmq+redis`. */
  readonly transport: string;
  /** Virtual host: `undefined` when the URL has no path, `''` for a bare `/`. */
  readonly virtualHost: string | undefined;
  /** The hosts, in the URL's order (several for failover or clusters). */
  readonly hosts: readonly TransportHost[];
  /** Query options; repeated keys joined with `,`. */
  readonly query: Readonly<Record<string, string>>;

  constructor(fields: {
    transport: string;
    virtualHost?: string | undefined;
    hosts?: readonly TransportHost[];
    query?: Record<string, string>;
  }) {
    this.transport = fields.transport;
    this.virtualHost = fields.virtualHost;
    this.hosts = Object.freeze([...(fields.hosts ?? [])]);
    this.query = Object.freeze({ ...(fields.query ?? {}) });
    Object.freeze(this);
  }

  /** The driver name: the scheme up to the first `+` (`zmq+redis` → `zmq`). */
  get driver(): string {
    return this.transport.split('+')[0] ?? this.transport;
  }

  /**
   * Parses a URL string; throws {@link InvalidTransportURL} saying what is wrong.
   *
   * @example
   * ```ts
   * const url = TransportURL.parse('rabbit://nova:s3cret@mq1:5672,nova:s3cret@mq2:5672/nova?ssl=true');
   * url.driver;        // 'rabbit'
   * url.hosts.length;  // 2
   * String(url);       // 'rabbit://nova:****@mq1:5672,nova:****@mq2:5672/nova?ssl=true'
   * ```
   *
   * @throws {@link InvalidTransportURL} when the URL is not a string, has no scheme, a bad port or IPv6 host,
   *   whitespace in its hosts, or a query item without a name
   */
  static parse(url: unknown): TransportURL {
    if (typeof url !== 'string') throw new InvalidTransportURL(url, 'Wrong URL type');
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(url);
    if (!m) throw new InvalidTransportURL(url, 'No scheme specified');
    const transport = m[1]!.toLowerCase();
    let rest = m[2]!;
    const hash = rest.indexOf('#');
    if (hash >= 0) rest = rest.slice(0, hash);
    let query = '';
    const q = rest.indexOf('?');
    if (q >= 0) {
      query = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
    let netloc = '';
    if (rest.startsWith('//')) {
      const end = rest.indexOf('/', 2);
      netloc = end < 0 ? rest.slice(2) : rest.slice(2, end);
      rest = end < 0 ? '' : rest.slice(end);
    }
    if (/\s/.test(netloc)) throw new InvalidTransportURL(url, 'hosts must not contain whitespace');
    const virtualHost = rest.startsWith('/') ? unquote(rest.slice(1)) : undefined;
    const hosts = netloc
      .split(',')
      .filter((h) => h !== '')
      .map((h) => parseHost(h, url));
    return new TransportURL({ transport, virtualHost, hosts, query: parseQuery(query, url) });
  }

  /** Formats the URL as oslo does; passwords are masked as `****` unless `revealPasswords` is set. */
  format(options: { revealPasswords?: boolean } = {}): string {
    const netloc = this.hosts
      .map((h) => {
        let s = '';
        if (h.username !== undefined || h.password !== undefined) {
          s += quote(h.username ?? '');
          if (h.password !== undefined) s += `:${options.revealPasswords ? quote(h.password) : '****'}`;
          s += '@';
        }
        if (h.hostname !== undefined) s += h.hostname.includes(':') ? `[${h.hostname}]` : h.hostname;
        if (h.port !== undefined) s += `:${h.port}`;
        return s;
      })
      .join(',');
    let out = `${this.transport}://${netloc}/`;
    if (this.virtualHost !== undefined) out += quote(this.virtualHost, '/');
    const q = Object.entries(this.query);
    if (q.length > 0) out += `?${q.map(([k, v]) => `${quotePlus(k)}=${quotePlus(v)}`).join('&')}`;
    return out;
  }

  /** The URL with passwords masked, safe for logs. */
  toString(): string {
    return this.format();
  }

  /** As {@link TransportURL.toString}: passwords masked. */
  toJSON(): string {
    return this.format();
  }

  /** Equality as in oslo: transport, virtual host and hosts; the query is ignored. */
  equals(other: TransportURL): boolean {
    return (
      this.transport === other.transport &&
      this.virtualHost === other.virtualHost &&
      JSON.stringify(this.hosts) === JSON.stringify(other.hosts)
    );
  }
}
