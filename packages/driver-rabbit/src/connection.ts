import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import { MessageDeliveryFailure, TransportDriverError, type Logger, type TransportURL } from '@oslo-messaging/core';
import { abortReason, type ResolvedOptions } from '@oslo-messaging/core/spi';
import { coalesceWrites } from './coalesce-writes.js';
import { RetryOnNewChannel } from './declare-errors.js';
import type { RABBIT_OPTIONS } from './options.js';
import { isUnanswered, UnresponsiveHosts } from './unresponsive-hosts.js';

type Opts = ResolvedOptions<typeof RABBIT_OPTIONS>;

/** Runs on every (re)connection: declares topology and starts consumers on the new channel. */
export type Recipe = (channel: amqp.ConfirmChannel, generation: number) => Promise<void>;

interface Host {
  /** The host name as written in the URL (used for TLS name checks). */
  readonly name: string;
  /** The address dialled (`localhost` becomes 127.0.0.1, as kombu does). */
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
}

/** The broker hosts of a URL, with oslo's defaults (guest/guest@localhost:5672). */
export function hostsOf(url: TransportURL): Host[] {
  const hosts =
    url.hosts.length > 0
      ? url.hosts
      : [{ hostname: undefined, port: undefined, username: undefined, password: undefined }];
  return hosts.map((h) => ({
    name: h.hostname ?? 'localhost',
    hostname: h.hostname === undefined || h.hostname === 'localhost' ? '127.0.0.1' : h.hostname,
    port: h.port ?? 5672,
    username: h.username || 'guest',
    password: h.password || 'guest',
  }));
}

/** The key a host is remembered by in {@link UnresponsiveHosts}. */
const keyOf = (h: Host): string => `${h.hostname}:${h.port}`;

/**
 * How long a host that stopped answering is tried last: two heartbeat thresholds (one to notice a
 * freeze, one for the cluster to declare the node down), and at least 30 s.
 */
export function unresponsiveMemoryMs(heartbeatTimeoutThreshold: number): number {
  return Math.max(30, 2 * heartbeatTimeoutThreshold) * 1000;
}

/** The virtual host of a URL (`/` when none is given). */
export function vhostOf(url: TransportURL): string {
  return url.virtualHost === undefined || url.virtualHost === '' ? '/' : url.virtualHost;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

/**
 * One AMQP connection with one confirm channel that reconnects by itself: across the URL's hosts
 * (failover), with oslo's backoff, re-running every registered {@link Recipe} on the new channel so
 * queues, bindings and consumers come back. A generation number tells stale deliveries apart.
 */
export class ManagedConnection {
  readonly #hosts: Host[];
  #hostIndex = 0;
  #model: amqp.ChannelModel | undefined;
  #channel: amqp.ConfirmChannel | undefined;
  #generation = 0;
  #connecting: Promise<void> | undefined;
  #closed = false;
  #failedCycles = 0;
  /** Why the last connection attempt failed (for the error a caller out of retries gets). */
  #lastError: Error | undefined;
  readonly #recipes = new Set<Recipe>();
  readonly #waiters = new Set<() => void>();
  readonly #onReturn = new Set<(msg: amqp.Message) => void>();

  constructor(
    readonly url: TransportURL,
    readonly opts: Opts,
    readonly logger: Logger,
    readonly purpose: string,
    /** Hosts that stopped answering, shared with the driver's other connections (see {@link UnresponsiveHosts}). */
    readonly unresponsive: UnresponsiveHosts = new UnresponsiveHosts(
      unresponsiveMemoryMs(opts.heartbeat_timeout_threshold),
    ),
  ) {
    this.#hosts = hostsOf(url);
    // oslo shuffles the host list once per connection, then goes round-robin.
    for (let i = this.#hosts.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [this.#hosts[i], this.#hosts[j]] = [this.#hosts[j]!, this.#hosts[i]!];
    }
  }

  get generation(): number {
    return this.#generation;
  }

  get channel(): amqp.ConfirmChannel | undefined {
    return this.#channel;
  }

  /** Called with every message the broker returns (mandatory publish nobody could take). */
  onReturn(fn: (msg: amqp.Message) => void): () => void {
    this.#onReturn.add(fn);
    return () => this.#onReturn.delete(fn);
  }

  /** Registers topology to (re)create on every connection; runs it now if connected. */
  async addRecipe(recipe: Recipe): Promise<() => void> {
    // Registered only once connected: a recipe run inside the connect loop could fail it forever.
    let ch = await this.ready();
    for (let attempt = 1; ; attempt++) {
      this.#recipes.add(recipe);
      try {
        await recipe(ch, this.#generation);
        return () => this.#recipes.delete(recipe);
      } catch (err) {
        // A recipe the broker refuses (PRECONDITION_FAILED) must not be re-run on every reconnect,
        // nor inside the reconnect this failure causes.
        this.#recipes.delete(recipe);
        if (err instanceof RetryOnNewChannel && attempt < 4 && !this.#closed) {
          // The broker closed the channel over a declaration that a new channel can fix.
          for (let i = 0; i < 100 && this.#channel === ch; i++) await sleep(20);
          ch = await this.ready();
          continue;
        }
        throw err;
      }
    }
  }

  /**
   * The channel, once connected. `retry`: undefined/null/negative waits forever; N fails with
   * MessageDeliveryFailure after N+1 failed connection cycles over all hosts.
   */
  async ready(retry?: number | null, signal?: AbortSignal): Promise<amqp.ConfirmChannel> {
    const startCycles = this.#failedCycles;
    for (;;) {
      if (this.#closed) throw new TransportDriverError('The connection was closed');
      if (signal?.aborted) throw abortReason(signal);
      if (this.#channel) return this.#channel;
      void this.#connect();
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal?.removeEventListener('abort', wake);
          this.#waiters.delete(wake);
          resolve();
        };
        this.#waiters.add(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
      if (
        !this.#channel &&
        retry !== undefined &&
        retry !== null &&
        retry >= 0 &&
        this.#failedCycles - startCycles > retry
      ) {
        const h = this.#hosts[this.#hostIndex % this.#hosts.length]!;
        // Upstream's message, with the reason (a TLS refusal, a login failure) and the URL's host name.
        const why = this.#lastError ? `: ${this.#lastError.message}` : '';
        throw new MessageDeliveryFailure(
          `Unable to connect to AMQP server on ${h.name}:${h.port} after ${retry} tries${why}`,
          { cause: this.#lastError },
        );
      }
    }
  }

  /** What a lost connection does (set by the connection that is open now). */
  #lost: ((why: string) => void) | undefined;

  /** Listens to a channel: errors logged, returns dispatched, its close (other than a replacement) loses the connection. */
  #wireChannel(channel: amqp.ConfirmChannel, lost: (why: string) => void): void {
    channel.on('error', (err: Error) =>
      this.logger.warn(`AMQP channel error: ${err.message}`, { purpose: this.purpose }),
    );
    channel.on('return', (msg: amqp.Message) => {
      for (const fn of this.#onReturn) fn(msg);
    });
    channel.on('close', () => {
      if (this.#channel === channel) lost('channel closed');
    });
  }

  #nextHost(): void {
    this.#hostIndex =
      this.opts.kombu_failover_strategy === 'shuffle'
        ? Math.floor(Math.random() * this.#hosts.length)
        : this.#hostIndex + 1;
  }

  /**
   * Replaces a channel the broker keeps refusing publishes on (e.g. nacks from a quorum queue
   * whose leader died: RabbitMQ 3.10 nacks every later publish on that channel, while a new one
   * works) with a new confirm channel on the same connection, re-running the recipes on it.
   * Falls back to reconnecting when that fails. A no-op if `bad` is no longer the channel.
   */
  async replaceChannel(bad: amqp.ConfirmChannel): Promise<void> {
    const model = this.#model;
    const lost = this.#lost;
    if (this.#channel !== bad || !model || !lost || this.#closed) return;
    this.#replacing ??= (async () => {
      try {
        const fresh = await model.createConfirmChannel();
        if (this.#model !== model || this.#channel !== bad) {
          await fresh.close().catch(() => undefined);
          return;
        }
        this.#wireChannel(fresh, lost);
        const generation = ++this.#generation;
        this.#channel = fresh;
        this.logger.warn('The broker refused publishes on this channel: continuing on a new one', {
          purpose: this.purpose,
        });
        void bad.close().catch(() => undefined);
        for (const recipe of this.#recipes) await recipe(fresh, generation);
      } catch (err) {
        lost(`could not replace a refusing channel: ${(err as Error).message}`);
      } finally {
        this.#replacing = undefined;
      }
    })();
    await this.#replacing;
  }

  #replacing: Promise<void> | undefined;

  /** `kombu_reconnect_splay`: a random extra delay so that many clients do not reconnect in step. */
  #splay(): number {
    return this.opts.kombu_reconnect_splay > 0 ? Math.random() * this.opts.kombu_reconnect_splay : 0;
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
    this.#waiters.clear();
  }

  #connect(): Promise<void> {
    this.#connecting ??= this.#connectLoop().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #connectLoop(): Promise<void> {
    let cycle = 0;
    while (!this.#closed && !this.#channel) {
      // Round-robin from the current host, hosts that recently stopped answering last.
      const order = this.unresponsive.order(this.#hosts.map(keyOf), this.#hostIndex % this.#hosts.length);
      for (let i = 0; i < order.length && !this.#closed; i++) {
        this.#hostIndex = order[i]!;
        const host = this.#hosts[this.#hostIndex]!;
        try {
          await this.#open(host);
          this.unresponsive.clear(keyOf(host));
          this.#wake();
          return;
        } catch (err) {
          this.#lastError = err as Error;
          if (isUnanswered(err)) this.unresponsive.mark(keyOf(host));
          this.logger.warn(`AMQP server on ${host.hostname}:${host.port} is unreachable: ${(err as Error).message}`, {
            purpose: this.purpose,
          });
          this.#nextHost();
        }
      }
      this.#failedCycles++;
      this.#wake();
      const delay =
        Math.min(
          this.opts.rabbit_retry_interval + cycle * this.opts.rabbit_retry_backoff,
          this.opts.rabbit_interval_max,
        ) + this.#splay();
      cycle++;
      await sleep(delay * 1000);
    }
  }

  async #open(host: Host): Promise<void> {
    const o = this.opts;
    const tls = o.ssl || o.ssl_ca_file !== '' || o.ssl_cert_file !== '';
    const credentials =
      o.rabbit_login_method === 'EXTERNAL'
        ? amqp.credentials.external()
        : o.rabbit_login_method === 'PLAIN'
          ? amqp.credentials.plain(host.username, host.password)
          : amqp.credentials.amqplain(host.username, host.password);
    const socketOptions: Record<string, unknown> = {
      noDelay: true,
      timeout: 10_000,
      clientProperties: {
        connection_name: `${basename(process.argv[1] ?? 'node')}:${process.pid}:${randomUUID()}`,
        capabilities: { authentication_failure_close: true, 'connection.blocked': true, consumer_cancel_notify: true },
      },
    };
    if (tls) {
      if (o.ssl_ca_file) socketOptions['ca'] = [readFileSync(o.ssl_ca_file)];
      if (o.ssl_cert_file) socketOptions['cert'] = readFileSync(o.ssl_cert_file);
      if (o.ssl_key_file) socketOptions['key'] = readFileSync(o.ssl_key_file);
      if (o.ssl_version)
        socketOptions['minVersion'] = socketOptions['maxVersion'] = o.ssl_version
          .replace('_', '.')
          .replace(/^TLSv1$/, 'TLSv1');
      // SNI and the name check use the URL's host name; an IP address is checked against IP SANs.
      if (isIP(host.name) === 0) socketOptions['servername'] = host.name;
      const expected = host.name;
      // Upstream 18.1's rule: the name is checked when ssl_ca_file is given and
      // ssl_enforce_hostname_verification is on (its default); the chain is always verified.
      socketOptions['checkServerIdentity'] =
        o.ssl_ca_file && o.ssl_enforce_hostname_verification
          ? (_h: string, cert: PeerCertificate) => checkServerIdentity(expected, cert)
          : () => undefined;
    }
    const model = await amqp.connect(
      {
        protocol: tls ? 'amqps' : 'amqp',
        hostname: host.hostname,
        port: host.port,
        username: host.username,
        password: host.password,
        vhost: vhostOf(this.url),
        heartbeat: o.heartbeat_timeout_threshold,
        credentials,
      },
      socketOptions,
    );
    coalesceWrites(model);
    const stopWatchdog = watchHeartbeats(model, o.heartbeat_timeout_threshold, o.heartbeat_rate, (silentFor) => {
      this.unresponsive.mark(keyOf(host));
      this.logger.warn(
        `No data from the AMQP server on ${host.hostname}:${host.port} for ${silentFor} s (heartbeats missed): dropping the connection`,
        { purpose: this.purpose },
      );
    });
    model.on('error', (err: Error) =>
      this.logger.warn(`AMQP connection error: ${err.message}`, { purpose: this.purpose }),
    );
    model.on('blocked', (reason: string) => this.logger.warn(`The broker blocked the connection: ${reason}`));
    model.on('unblocked', () => this.logger.info('The broker unblocked the connection'));
    let channel: amqp.ConfirmChannel;
    try {
      channel = await model.createConfirmChannel();
    } catch (err) {
      await model.close().catch(() => undefined);
      throw err;
    }
    const generation = ++this.#generation;
    const lost = (why: string) => {
      if (this.#model !== model) return;
      stopWatchdog();
      this.#channel = undefined;
      this.#model = undefined;
      this.#generation++;
      void model.close().catch(() => undefined);
      if (this.#closed) return;
      this.logger.warn(`Lost the AMQP connection (${why}); reconnecting`, { purpose: this.purpose });
      // kombu's round-robin: the next attempt starts at the next host, not at the one that just failed.
      this.#nextHost();
      void sleep((this.opts.kombu_reconnect_delay + this.#splay()) * 1000).then(() => {
        if (!this.#closed && !this.#channel) void this.#connect();
      });
    };
    this.#lost = lost;
    this.#wireChannel(channel, lost);
    model.on('close', () => lost('connection closed'));
    this.#model = model;
    this.#channel = channel;
    try {
      for (const recipe of this.#recipes) await recipe(channel, generation);
    } catch (err) {
      stopWatchdog();
      this.#channel = undefined;
      this.#model = undefined;
      await closeWithin(model, CLOSE_LIMIT_MS);
      throw err;
    }
  }

  /**
   * Closes the connection for good. Idempotent. Waits up to 2 s for the broker's close-ok, then
   * drops the socket; `now` drops it at once (the broker is known not to answer).
   */
  async close(options: { now?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const model = this.#model;
    this.#channel = undefined;
    this.#model = undefined;
    this.#wake();
    if (model) await closeWithin(model, options.now ? 0 : CLOSE_LIMIT_MS);
  }
}

/** How long a close waits for the broker's close-ok before dropping the socket (a frozen broker never answers). */
const CLOSE_LIMIT_MS = 2000;

type SocketLike = {
  readonly bytesRead: number;
  destroy(err?: Error): void;
};

function socketOf(model: amqp.ChannelModel): SocketLike | undefined {
  return (model.connection as unknown as { stream?: SocketLike }).stream;
}

/** Closes politely, or destroys the socket when the broker does not answer within `ms`. */
async function closeWithin(model: amqp.ChannelModel, ms: number): Promise<void> {
  if (ms <= 0) {
    socketOf(model)?.destroy(new Error('Closed without waiting for an unresponsive broker'));
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  const closing = model.close().then(
    () => 'closed' as const,
    () => 'closed' as const,
  );
  const outcome = await Promise.race([closing, gaveUp]);
  clearTimeout(timer);
  // With an error: amqplib learns of the end only from 'error' or 'end' (a bare destroy leaves its heartbeat timer running).
  if (outcome === 'late') socketOf(model)?.destroy(new Error(`The broker did not answer the close within ${ms} ms`));
}

/**
 * oslo's heartbeat check (`heartbeat_timeout_threshold`, checked `heartbeat_rate` times per
 * threshold period): a broker that sent nothing — not even a heartbeat, which RabbitMQ sends every
 * half threshold — for a whole threshold is frozen or gone, and its connection is dropped so the
 * driver fails over. Catches a SIGSTOPped broker, which keeps the TCP connection open. Returns a stop function.
 *
 * It samples the socket's byte counter on each check, as py-amqp's `heartbeat_tick` does, rather than
 * listening for 'data': a 'data' listener costs every socket read an event and a clock read, and the
 * check's own granularity (a threshold is `rate` checks) bounds the detection time either way.
 */
export function watchHeartbeats(
  model: amqp.ChannelModel,
  thresholdSeconds: number,
  rate: number,
  onDead: (silentFor: number) => void,
): () => void {
  const sock = socketOf(model);
  if (!sock || thresholdSeconds <= 0) return () => undefined;
  let last = Date.now();
  let lastBytes = sock.bytesRead;
  const timer = setInterval(
    () => {
      const now = Date.now();
      const bytes = sock.bytesRead;
      if (bytes !== lastBytes) {
        lastBytes = bytes;
        last = now;
        return;
      }
      const silent = now - last;
      if (silent < thresholdSeconds * 1000) return;
      stop();
      onDead(Math.round(silent / 1000));
      sock.destroy(new Error(`Missed heartbeats from the broker for ${Math.round(silent / 1000)} s`));
    },
    Math.max(250, (thresholdSeconds * 1000) / Math.max(1, rate)),
  );
  timer.unref();
  const stop = () => clearInterval(timer);
  return stop;
}
