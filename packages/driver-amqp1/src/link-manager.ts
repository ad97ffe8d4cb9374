import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { hostname } from 'node:os';
import rhea, {
  type Connection,
  type ConnectionOptions,
  type Delivery,
  type EventContext,
  type Message,
  type Receiver,
  type Sender,
} from 'rhea';
import { ConfigurationError, TransportDriverError, type Logger, type TransportURL } from '@oslo-messaging/core';
import { DeadlineHeap, type ResolvedOptions } from '@oslo-messaging/core/spi';
import type { AMQP1_OPTIONS } from './options.js';
import { ReconnectPolicy } from './reconnect-policy.js';
import { InFlight, InFlightSends } from './in-flight-sends.js';

type Opts = ResolvedOptions<typeof AMQP1_OPTIONS>;

/** How long close() waits for the peer to answer the Close before dropping the socket. */
const CLOSE_GRACE_MS = 1500;

/** How a sent message ended: the peer's disposition, or the link/connection going away first. */
export type SendOutcome = 'accepted' | 'released' | 'modified' | 'undeliverable' | 'rejected' | 'lost';

/** How a wait for the connection ended: it opened, one attempt failed, the manager closed, or the caller gave up. */
export type UpWait = 'up' | 'attempt-failed' | 'closed' | 'aborted' | 'expired';

/** setTimeout for a finite delay (none for Infinity, and no 1 ms overflow for delays past 24.8 days). */
export const timerFor = (fn: () => void, ms: number): NodeJS.Timeout | undefined =>
  Number.isFinite(ms) && ms < 2 ** 31 - 1 ? setTimeout(fn, Math.max(0, ms)) : undefined;

/** Runs `fn` once when `signal` aborts; returns how to stop listening. */
export const onAbort = (signal: AbortSignal | undefined, fn: () => void): (() => void) => {
  if (!signal) return () => undefined;
  if (signal.aborted) {
    fn();
    return () => undefined;
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
};

/** A receiving link: its (possibly broker-assigned) address and a way to detach it. */
export interface ReceiverHandle {
  /** The source address, known once attached (dynamic sources get theirs from the peer). */
  readonly address: () => string | undefined;
  /** Resolves when the link is attached (again, after a reconnect); rejects if the peer refuses it. */
  readonly attached: Promise<void>;
  close(): void;
}

/**
 * Where a send learns that its caller gave up: an `AbortSignal`, or a function giving it, read only
 * when the send has to wait for credit (core creates a call's signal only when it is read: the fast
 * path reads none). A send waiting for its disposition ends at its deadline or at close either way;
 * an `AbortSignal` given as such ends it too.
 */
export type SignalSource = AbortSignal | (() => AbortSignal | undefined) | undefined;

export const signalOf = (source: SignalSource): AbortSignal | undefined =>
  typeof source === 'function' ? source() : source;

const LOST: Promise<SendOutcome> = Promise.resolve('lost');
/** What `send` returns for a pre-settled message written at once (callers may compare with it). */
export const ACCEPTED: Promise<SendOutcome> = Promise.resolve('accepted');

interface SenderEntry {
  readonly sender: Sender;
  lastUsed: number;
  readonly waiting: Array<() => void>;
}

/** An AMQP error (condition and description) or any thrown value, as one line for the log. */
const describeError = (err: unknown): string => {
  if (err === undefined || err === null) return '';
  const { condition, description, message } = err as { condition?: unknown; description?: unknown; message?: unknown };
  if (condition !== undefined) return `${String(condition)}${description ? `: ${String(description)}` : ''}`;
  return typeof message === 'string' ? message : String(err);
};

/**
 * The real setImmediate, taken when this module loads: an application's test that installs fake timers
 * afterwards (vitest, sinon) must not hold every frame the connection writes until it advances them.
 */
const realSetImmediate = setImmediate;

/**
 * rhea writes every frame with its own socket write (a syscall each, with Nagle off): under load that is
 * the biggest part of the CPU. Corking the socket at the first frame and uncorking it once this turn of
 * the event loop has run its callbacks and promise jobs (setImmediate) sends their frames in one writev:
 * a server's accept with the reply its handler sent, a client's accept of a reply with the next request.
 * That adds no wait for anything but the work already queued in this turn. rhea calls
 * `output()` after queueing each frame (and for heartbeats); a new socket after a reconnect is corked
 * in turn, and `end()` flushes a corked socket.
 */
function coalesceWrites(connection: Connection): void {
  const flushLater = realSetImmediate;
  type Corkable = { cork?: () => void; uncork?: () => void; destroyed?: boolean };
  const c = connection as unknown as { socket?: Corkable; output: () => void };
  const output = c.output;
  let corked: Corkable | undefined;
  c.output = function coalescedOutput(this: typeof c) {
    const socket = this.socket;
    if (socket && corked !== socket && typeof socket.cork === 'function' && typeof socket.uncork === 'function') {
      corked = socket;
      socket.cork();
      flushLater(() => {
        if (corked === socket) corked = undefined;
        socket.uncork!();
      });
    }
    output.call(this);
  };
}

/**
 * One AMQP 1.0 connection (rhea) with oslo's conventions: container id and Open properties, SASL and
 * TLS from the options, reconnect with backoff across the URL's hosts (rhea re-attaches links after a
 * reconnect), every link on its own session (a refused link never takes others down), cached sender
 * links purged when idle, and each send settled by the peer's disposition or failed as `lost`.
 */
export class LinkManager {
  readonly #connection: Connection;
  readonly #policy: ReconnectPolicy<TransportURL['hosts'][number]>;
  #authRetry: NodeJS.Timeout | undefined;
  /** Cached sender links by address: unsettled ones, and pre-settled ones (no key string built per send). */
  readonly #senders = new Map<string, SenderEntry>();
  readonly #settledSenders = new Map<string, SenderEntry>();
  readonly #inFlight = new InFlightSends<Delivery, SendOutcome>();
  readonly #inFlightDeadlines = new DeadlineHeap<InFlight<Delivery, SendOutcome>>((f) =>
    this.#settleInFlight(f.delivery, 'lost'),
  );
  readonly #purger: NodeJS.Timeout;
  #opened: Promise<Record<string, unknown>>;
  #closed = false;
  #up = false;
  readonly #upWaiters = new Set<(why: UpWait) => void>();
  readonly #onDown = new Set<() => void>();
  #openFailed: ((err: Error) => void) | undefined;
  readonly #onOpen: Array<(properties: Record<string, unknown>) => void> = [];

  constructor(
    url: TransportURL,
    private readonly opts: Opts,
    private readonly logger: Logger,
  ) {
    const container = rhea.create_container({
      id:
        opts.container_name ??
        `openstack.org/om/container/${hostname()}/${basename(process.argv[1] ?? 'node')}/${process.pid}/${randomUUID().replaceAll('-', '')}`,
    });
    const hosts =
      url.hosts.length > 0
        ? url.hosts
        : [{ hostname: undefined, port: undefined, username: undefined, password: undefined }];
    this.#policy = new ReconnectPolicy(hosts, {
      interval: opts.connection_retry_interval,
      backoff: opts.connection_retry_backoff,
      max: opts.connection_retry_interval_max,
    });
    const tls = opts.ssl || !!opts.ssl_ca_file || !!opts.ssl_cert_file || !!opts.ssl_key_file;
    const mechanisms = opts.sasl_mechanisms
      .split(/\s+/)
      .filter(Boolean)
      .map((m) => m.toUpperCase());
    const detailsOf = (h: (typeof hosts)[number]) => {
      const host = h.hostname ?? 'localhost';
      let username = h.username;
      if (username && opts.sasl_default_realm && !username.includes('@'))
        username = `${username}@${opts.sasl_default_realm}`;
      const plain = !!username && (mechanisms.length === 0 || mechanisms.includes('PLAIN'));
      if (username && !plain && !mechanisms.includes('ANONYMOUS'))
        throw new ConfigurationError(`sasl_mechanisms "${opts.sasl_mechanisms}" allows neither PLAIN nor ANONYMOUS`);
      // rhea dials connect(port, host, options): TLS settings belong in `options`.
      const socket = tls
        ? {
            rejectUnauthorized: true,
            servername: opts.ssl_verify_vhost && url.virtualHost ? url.virtualHost : host,
            ...(opts.ssl_ca_file ? { ca: readFileSync(opts.ssl_ca_file) } : {}),
            ...(opts.ssl_cert_file ? { cert: readFileSync(opts.ssl_cert_file) } : {}),
            ...(opts.ssl_key_file ? { key: readFileSync(opts.ssl_key_file) } : {}),
            ...(opts.ssl_key_password ? { passphrase: opts.ssl_key_password } : {}),
          }
        : {};
      return {
        host,
        port: h.port ?? 5672,
        transport: tls ? ('tls' as const) : ('tcp' as const),
        options: socket,
        username: plain ? username : undefined,
        password: plain ? (h.password ?? '') : undefined,
      };
    };
    for (const h of hosts) detailsOf(h); // validates the SASL and TLS options now
    const first = this.#policy.nextHost();
    let dialled = false;
    // rhea asks for the details of every attempt, but counts only attempts that reached a socket: the
    // rotation over hosts is ours. rhea reads SASL credentials from the connection's options, so each
    // host's own user and password are put there before it is dialled.
    const connectionDetails = () => {
      const h = dialled ? this.#policy.nextHost() : first;
      dialled = true;
      const d = detailsOf(h);
      if (this.#connection)
        Object.assign(this.#connection.options as unknown as Record<string, unknown>, {
          username: d.username,
          password: d.password,
        });
      return d;
    };
    const options = {
      ...detailsOf(first),
      connection_details: connectionDetails,
      tcp_no_delay: true,
      reconnect: () => this.#policy.nextDelay(),
      // oslo reconnects whatever the reason the peer closed the connection (rhea: only for connection:forced).
      all_errors_non_fatal: true,
      ...(opts.idle_timeout > 0 ? { idle_time_out: opts.idle_timeout * 1000 } : {}),
      ...(!opts.pseudo_vhost && url.virtualHost ? { hostname: url.virtualHost } : {}),
      properties: { process: basename(process.argv[1] ?? 'node'), pid: process.pid, node: hostname() },
    } as unknown as ConnectionOptions; // rhea's typings lack tcp_no_delay and a reconnect function
    this.#connection = container.connect(options);
    coalesceWrites(this.#connection);
    // rhea closes a connection gone silent with amqp:resource-limit-exceeded. Brokers on Proton's
    // MessagingHandler defaults (Debian's example broker, say) then call neither on_connection_closing
    // nor on_disconnected, and the dead connection's consumers go on taking messages into the void once
    // the broker wakes up. Close it without an error condition instead; rhea's abort a second later stays.
    const idling = this.#connection as unknown as {
      idle(): void;
      is_closed(): boolean;
      close(): void;
      closed_with_non_fatal_error: boolean;
      abort_idle?: NodeJS.Timeout;
      abort_socket(socket: unknown): void;
      socket: unknown;
    };
    idling.idle = function idle(this: typeof idling) {
      if (this.is_closed()) return;
      this.closed_with_non_fatal_error = true;
      this.close();
      this.abort_idle = setTimeout(this.abort_socket.bind(this, this.socket), 1000);
    };
    // rhea passes events nobody listens to up to the container, which throws an 'error' without a listener.
    container.on('error', (err: unknown) => this.logger.error('AMQP 1.0 error', { err: describeError(err) }));
    this.#opened = new Promise((resolve, reject) => {
      this.#openFailed = reject;
      this.#connection.on('connection_open', (ctx: EventContext) => {
        this.#up = true;
        this.#policy.connected();
        const properties =
          (ctx.connection as unknown as { remote?: { open?: { properties?: Record<string, unknown> } } }).remote?.open
            ?.properties ?? {};
        for (const listener of this.#onOpen) listener(properties);
        this.#wakeUpWaiters('up');
        resolve(properties);
      });
    });
    this.#opened.catch(() => undefined);
    this.#connection.on('disconnected', (ctx: EventContext) => {
      this.#up = false;
      const { error, reconnecting } = ctx as { error?: Error; reconnecting?: boolean };
      if (this.#closed) {
        // closing: nothing to report
      } else if (reconnecting !== true) {
        // rhea gives up for good after a SASL failure (and says nothing of reconnecting); oslo moves on to the next host, and so do we.
        const delay = this.#policy.nextDelay();
        this.logger.error('AMQP 1.0 connection refused; trying the next host', {
          err: describeError(error ?? ctx.connection.error),
          delayMs: delay,
        });
        this.#authRetry = setTimeout(() => this.#redialAfterRefusal(), delay);
      } else {
        this.logger.warn('AMQP 1.0 connection lost; reconnecting', { err: describeError(error) });
      }
      // Deliveries not settled by the peer are unknown: their senders decide whether to re-send.
      for (const f of this.#inFlight.list()) this.#settleInFlight(f.delivery, 'lost');
      for (const entry of this.#allSenders()) for (const w of entry.waiting.splice(0)) w();
      // Also a failed attempt while down (refused, reset, idle): waiters count it against their retry budget.
      this.#wakeUpWaiters('attempt-failed');
      for (const f of [...this.#onDown]) f();
    });
    this.#connection.on('connection_error', (ctx: EventContext) =>
      this.logger.error('AMQP 1.0 connection closed by the peer with an error', {
        err: describeError(ctx.connection.error ?? (ctx as { error?: unknown }).error),
      }),
    );
    this.#connection.on('protocol_error', (err: unknown) => this.logger.error('AMQP 1.0 protocol error', { err }));
    this.#connection.on('error', (err: unknown) => this.logger.error('AMQP 1.0 error', { err }));
    this.#purger = setInterval(
      () => this.#purgeIdleSenders(),
      Math.min(60_000, opts.default_sender_link_timeout * 1000),
    );
    this.#purger.unref();
  }

  /**
   * Calls `listener` with the peer's Open properties at every connection open, the first and each one
   * after a reconnect (possibly to another host), before sends waiting for the connection resume.
   */
  onOpen(listener: (properties: Record<string, unknown>) => void): void {
    this.#onOpen.push(listener);
  }

  /** The peer's Open properties, once connected the first time; rejects with `TransportDriverError` if closed first. */
  opened(): Promise<Record<string, unknown>> {
    return this.#opened;
  }

  /** Sessions begun on this connection and not ended (one per link; for diagnostics and tests). */
  get openSessions(): number {
    return Object.keys(
      (this.#connection as unknown as { local_channel_map: Record<string, unknown> }).local_channel_map,
    ).length;
  }

  /** Whether the connection is open now. */
  get up(): boolean {
    return this.#up;
  }

  /**
   * Waits for the connection: `up` once open (at once if it is), `attempt-failed` when a connection
   * attempt fails first (the caller decides whether to wait again), `closed` when the manager closes,
   * `aborted` when `signal` aborts, `expired` at `deadlineMs`. Never rejects.
   */
  whenUp(signal?: AbortSignal, deadlineMs = Infinity): Promise<UpWait> {
    if (this.#closed) return Promise.resolve('closed');
    if (this.#up) return Promise.resolve('up');
    if (signal?.aborted) return Promise.resolve('aborted');
    if (Date.now() >= deadlineMs) return Promise.resolve('expired');
    return new Promise((resolve) => {
      const done = (why: UpWait) => {
        this.#upWaiters.delete(done);
        clearTimeout(timer);
        stopListening();
        resolve(why);
      };
      const timer = timerFor(() => done('expired'), deadlineMs - Date.now());
      const stopListening = onAbort(signal, () => done('aborted'));
      this.#upWaiters.add(done);
    });
  }

  /** Calls `listener` each time the connection goes down (or an attempt fails); returns how to stop. */
  onDown(listener: () => void): () => void {
    this.#onDown.add(listener);
    return () => this.#onDown.delete(listener);
  }

  #wakeUpWaiters(why: UpWait): void {
    for (const w of [...this.#upWaiters]) w(why);
  }

  #session() {
    const session = this.#connection.create_session();
    // Every session is ours and has this listener, so rhea never passes session errors up to the connection.
    session.on('session_error', (ctx: EventContext) =>
      this.logger.warn('AMQP 1.0 session error', { err: describeError(ctx.session?.error) }),
    );
    session.begin();
    return session;
  }

  /** Ends a closed link's own session, once rhea has answered the detach (else sessions pile up). */
  #endSessionOf(link: Sender | Receiver): void {
    setImmediate(() => link.session.close());
  }

  #allSenders(): SenderEntry[] {
    return [...this.#senders.values(), ...this.#settledSenders.values()];
  }

  #sender(address: string, settled: boolean): SenderEntry {
    const senders = settled ? this.#settledSenders : this.#senders;
    const existing = senders.get(address);
    if (existing && !existing.sender.is_closed()) return existing;
    const sender = this.#session().open_sender({
      name: `openstack.org/om/sender/[${address}]/${randomUUID().replaceAll('-', '')}`,
      source: { address },
      target: { address },
      autosettle: true,
      ...(settled ? { snd_settle_mode: 1 } : {}),
    });
    const entry: SenderEntry = { sender, lastUsed: Date.now(), waiting: [] };
    const wake = () => {
      for (const w of entry.waiting.splice(0)) w();
    };
    sender.on('sendable', wake);
    const settle = (outcome: SendOutcome) => (ctx: EventContext) => this.#settleInFlight(ctx.delivery!, outcome);
    sender.on('accepted', settle('accepted'));
    sender.on('released', settle('released'));
    sender.on('rejected', settle('rejected'));
    sender.on('modified', (ctx: EventContext) => {
      const state = ctx.delivery?.remote_state as { undeliverable_here?: boolean } | undefined;
      settle(state?.undeliverable_here ? 'undeliverable' : 'modified')(ctx);
    });
    sender.on('sender_error', (ctx: EventContext) => {
      this.logger.warn(`AMQP 1.0 sender link to ${address} failed`, { err: describeError(ctx.sender?.error) });
    });
    sender.on('sender_close', () => {
      this.#endSessionOf(sender);
      if (senders.get(address) === entry) senders.delete(address);
      for (const f of this.#inFlight.list()) if (f.delivery.link === sender) this.#settleInFlight(f.delivery, 'lost');
      wake();
    });
    senders.set(address, entry);
    return entry;
  }

  /**
   * Sends `message` to `address`: waits for link credit (until `deadlineMs`), then for the peer's
   * disposition unless `settled` (pre-settled: done once written). Never rejects: returns the outcome,
   * or `lost` when the link or connection went away, the manager closed, `signal` aborted or the
   * deadline passed first (a message given up before it was written is dropped).
   */
  send(
    address: string,
    message: Message,
    settled: boolean,
    deadlineMs: number,
    signal?: SignalSource,
  ): Promise<SendOutcome> {
    if (this.#closed) return LOST;
    const given = typeof signal === 'function' ? undefined : signal;
    if (given?.aborted) return LOST;
    const entry = this.#sender(address, settled);
    entry.lastUsed = Date.now();
    // With credit, written at once (no promise chain per message); else wait for it.
    if (!entry.sender.sendable()) return this.#sendWhenSendable(entry, address, message, settled, deadlineMs, signal);
    return this.#write(entry, address, message, settled, deadlineMs, given);
  }

  async #sendWhenSendable(
    entry: SenderEntry,
    address: string,
    message: Message,
    settled: boolean,
    deadlineMs: number,
    source: SignalSource,
  ): Promise<SendOutcome> {
    const signal = signalOf(source);
    // Re-checked synchronously right before sending: many senders may wake on one 'sendable', and
    // sending past the session window overflows rhea's buffer.
    while (!entry.sender.sendable()) {
      if (Date.now() >= deadlineMs || entry.sender.is_closed() || this.#closed || signal?.aborted || !this.#up)
        return 'lost';
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          stopListening();
          const i = entry.waiting.indexOf(wake);
          if (i >= 0) entry.waiting.splice(i, 1);
          resolve();
        };
        const timer = timerFor(wake, deadlineMs - Date.now());
        const stopListening = onAbort(signal, wake);
        entry.waiting.push(wake);
      });
    }
    return this.#write(entry, address, message, settled, deadlineMs, signal);
  }

  #write(
    entry: SenderEntry,
    address: string,
    message: Message,
    settled: boolean,
    deadlineMs: number,
    signal: AbortSignal | undefined,
  ): Promise<SendOutcome> {
    let delivery: Delivery;
    try {
      delivery = entry.sender.send(message);
    } catch (err) {
      this.logger.warn(`AMQP 1.0 send to ${address} failed`, { err });
      return LOST;
    }
    if (settled) return ACCEPTED;
    return new Promise<SendOutcome>((resolve) => {
      const f = new InFlight<Delivery, SendOutcome>(delivery, deadlineMs, resolve);
      this.#inFlight.add(f);
      if (Number.isFinite(deadlineMs)) this.#inFlightDeadlines.add(f);
      if (signal) f.stopListening = onAbort(signal, () => this.#settleInFlight(delivery, 'lost'));
    });
  }

  /** Ends the wait of a sent delivery (its disposition, or `lost`); nothing if it has ended already. */
  #settleInFlight(delivery: Delivery, outcome: SendOutcome): void {
    const f = this.#inFlight.get(delivery);
    if (!f) return;
    this.#inFlight.remove(f);
    this.#inFlightDeadlines.remove(f);
    f.stopListening?.();
    f.resolve(outcome);
  }

  /**
   * Attaches a receiver on its own session; `onMessage` gets each message with its delivery (settle it).
   * A link the peer detaches later (a deleted queue, a broker-side error) is re-attached after
   * `link_retry_delay`, again until it holds; a dynamic source then gets a new address. (After a lost
   * connection rhea re-attaches every link itself.)
   */
  receive(
    source: { address?: string; dynamic?: boolean },
    credit: number,
    onMessage: (message: Message, delivery: Delivery) => void,
    target?: string,
  ): ReceiverHandle {
    const name = `openstack.org/om/receiver/[${source.address ?? target ?? 'dynamic'}]/${randomUUID().replaceAll('-', '')}`;
    let address = source.address;
    let current: Receiver | undefined;
    let retry: NodeJS.Timeout | undefined;
    let closedByUs = false;
    let everOpen = false;
    let refused: ((err: Error) => void) | undefined;
    let opened: (() => void) | undefined;
    const attached = new Promise<void>((resolve, reject) => ((opened = resolve), (refused = reject)));
    attached.catch(() => undefined);
    const describe = () => address ?? 'a dynamic source';

    const attach = () => {
      const receiver: Receiver = this.#session().open_receiver({
        name,
        source: source.dynamic ? { dynamic: true } : { address: source.address },
        ...(target ? { target: { address: target } } : {}),
        credit_window: credit,
        autoaccept: false,
      });
      current = receiver;
      receiver.on('receiver_open', (ctx: EventContext) => {
        address = (ctx.receiver?.source as { address?: string } | undefined)?.address ?? address;
        if (everOpen) this.logger.info(`AMQP 1.0 receiver link from ${describe()} re-attached`);
        everOpen = true;
        opened?.();
      });
      receiver.on('message', (ctx: EventContext) => onMessage(ctx.message!, ctx.delivery!));
      receiver.on('receiver_error', (ctx: EventContext) => {
        const err: { description?: string; message?: string } | undefined = ctx.receiver?.error;
        this.logger.warn(`AMQP 1.0 receiver link from ${describe()} failed`, { err: describeError(err) });
        if (!everOpen)
          refused?.(
            new Error(
              `The peer refused the link from ${describe()}: ${err?.description ?? err?.message ?? 'unknown error'}`,
            ),
          );
      });
      receiver.on('receiver_close', () => {
        this.#endSessionOf(receiver);
        if (closedByUs || this.#closed || current !== receiver) return;
        // Refused at the first attach: the caller hears it through `attached` and decides.
        if (!everOpen) return;
        this.logger.warn(
          `AMQP 1.0 receiver link from ${describe()} was detached by the peer; re-attaching in ${this.opts.link_retry_delay} s`,
        );
        retry = setTimeout(() => {
          retry = undefined;
          if (!closedByUs && !this.#closed) attach();
        }, this.opts.link_retry_delay * 1000);
      });
    };
    attach();
    return {
      address: () => address,
      attached,
      close: () => {
        closedByUs = true;
        clearTimeout(retry);
        current?.close();
      },
    };
  }

  #purgeIdleSenders(): void {
    const idleSince = Date.now() - this.opts.default_sender_link_timeout * 1000;
    // The links with a send still waiting for its disposition: walked once, not once per sender.
    const busy = new Set(this.#inFlight.list().map((f) => f.delivery.link));
    for (const senders of [this.#senders, this.#settledSenders]) {
      for (const [address, entry] of senders) {
        if (entry.lastUsed < idleSince && !busy.has(entry.sender)) {
          senders.delete(address);
          entry.sender.close();
        }
      }
    }
  }

  #redialAfterRefusal(): void {
    this.#authRetry = undefined;
    if (this.#closed) return;
    // rhea 3 keeps the refusal in `transport_error` and never reconnects while it is set.
    const internals = this.#connection as unknown as { transport_error?: unknown; reconnect(): void };
    internals.transport_error = undefined;
    internals.reconnect();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#authRetry);
    clearInterval(this.#purger);
    for (const f of this.#inFlight.list()) this.#settleInFlight(f.delivery, 'lost');
    this.#inFlightDeadlines.stop();
    for (const entry of this.#allSenders()) for (const w of entry.waiting.splice(0)) w();
    this.#wakeUpWaiters('closed');
    this.#onDown.clear();
    this.#openFailed?.(new TransportDriverError('The AMQP 1.0 connection was closed before it opened'));
    const internals = this.#connection as unknown as {
      scheduled_reconnect?: NodeJS.Timeout;
      state: { was_open?: boolean };
      socket?: unknown;
      abort_socket(socket: unknown): void;
      set_reconnect(reconnect: boolean): void;
    };
    // rhea's set_reconnect(false) leaves an already scheduled reconnect in place: it would dial again.
    clearTimeout(internals.scheduled_reconnect);
    internals.scheduled_reconnect = undefined;
    internals.set_reconnect(false);
    const wasUp = this.#up;
    if (!wasUp) internals.state.was_open = undefined; // down: nothing to close, and no reconnect to resume
    const closed = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_GRACE_MS);
      const done = () => (clearTimeout(timer), resolve());
      this.#connection.once('connection_close', done);
      this.#connection.once('disconnected', done);
    });
    this.#connection.close();
    if (wasUp) await closed;
    // A peer that never answers the Close (a frozen broker) or a handshake under way would keep the
    // socket, rhea's heartbeat timers and the process alive: drop it (rhea's own abort, which clears them).
    if (internals.socket) internals.abort_socket(internals.socket);
  }
}
