import { hostname } from 'node:os';
import {
  MessageDeliveryFailure,
  MessagingTimeout,
  Target,
  TransportDriverError,
  type Context,
} from '@oslo-messaging/core';
import {
  type Driver,
  type DriverContext,
  type IncomingMessage,
  type IncomingMessageInit,
  type Listener,
  type MessageSink,
  type Matchmaker,
  type NotificationListenOptions,
  type NotificationMessage,
  type NotificationSendOptions,
  type RemoteErrorCodec,
  type Reply,
  type ResolvedOptions,
  type RpcRequest,
  type SendOptions,
  uuidHex,
} from '@oslo-messaging/core/spi';
import { abandonedError, bounded, interrupted, pause, type Interruption, type Wakers } from './abort.js';
import {
  encodeHeartbeat,
  encodeReply,
  encodeRequest,
  MessageType,
  type RequestFrames,
  type ResponseFrames,
} from './frames.js';
import { HostCache, LISTENER_TYPE, notifyMember, parseNotifyMember } from './hosts.js';
import { LocalRoutes, type LocalEndpoint } from './local-routes.js';
import { ZMQ_OPTIONS } from './options.js';
import { Peer, type PendingDelivery } from './peer.js';
import { Registrations } from './registrations.js';
import { ServerSocket } from './server-socket.js';

export type ZmqOptions = ResolvedOptions<typeof ZMQ_OPTIONS>;

/** Why one delivery attempt did not end with an acknowledgement (`aborted`: the caller gave up). */
type Outcome = 'ack' | 'refused' | 'failed' | 'aborted';
type AttemptResult = { readonly outcome: Outcome; readonly reason: string };
const ACKED: AttemptResult = Object.freeze({ outcome: 'ack', reason: '' });
const ABORTED: AttemptResult = Object.freeze({ outcome: 'aborted', reason: 'the caller stopped waiting' });
const NO_HOSTS: string[] = [];

/** How to deliver one message: where it may go and how long to keep trying. */
interface DeliveryPlan {
  readonly what: string;
  /** Candidate addresses; `fresh` asks the matchmaker again instead of the cache. */
  hosts(fresh: boolean): string[] | Promise<string[]>;
  frames(attempt: number): string[];
  readonly msgId: string;
  /** Give up finding a server at this time (ms since epoch). */
  readonly deadline: number;
  /** The caller's own deadline and abort signal: past it, no wait, send or re-send goes on. */
  readonly stop: Interruption;
  /** An address to avoid on the first try (the fast path's attempt just failed there). */
  readonly avoid?: string;
  /** Re-sends allowed after a lost or unacknowledged attempt. */
  readonly retries: number;
  /** Stop early (a call that was answered or timed out). */
  readonly abandoned?: () => boolean;
  /** Resolve on the first successful send instead of on the acknowledgement. */
  readonly fireAndForget?: boolean;
  /** Why the last attempt failed, kept up to date for error messages. */
  readonly status?: { reason: string };
}

/**
 * One call on its way, in one object: the fast path's acknowledgement entry (its `ack` and `fail`),
 * the status the timeout message explains, and what the slow path needs if it takes over. (Instead of
 * a handful of closures per call.)
 */
class OutgoingCall implements PendingDelivery {
  /** The fast path's ACK deadline (set when it sends). */
  deadline = 0;
  /** Why the last attempt failed (`DeliveryPlan.status`). */
  reason = '';
  delivered = false;
  /** Where the fast path sent it. */
  address = '';

  constructor(
    readonly driver: ZmqDriver,
    readonly target: Target,
    readonly what: string,
    readonly msgId: string,
    readonly frames: string[],
    /** The send options, also the `abortable` the ACK sweep reads the signal from (only then: core makes it lazily). */
    readonly options: SendOptions,
    readonly callDeadline: number,
    readonly timeoutMs: number,
  ) {}

  get abortable(): SendOptions {
    return this.options;
  }

  ack(): void {
    this.delivered = true;
  }

  fail(reason: string): void {
    this.reason = reason;
    this.driver.retryCall(this);
  }

  /** For the reply waiter's timeout: a call that no server took says so. */
  readonly explain = (): string | undefined =>
    this.delivered
      ? undefined
      : `No live server for ${this.what} took the call within ${this.options.timeout ?? this.timeoutMs / 1000} s (${this.reason || 'no server is registered'})`;
}

/** What `ctx.incoming` needs of a call received, in one object (its reply and heartbeat are methods, not closures). */
class IncomingCall implements IncomingMessageInit {
  readonly ctxt: Context;
  readonly message: Record<string, unknown>;
  readonly clientTimeout: number | null;

  constructor(
    readonly request: RequestFrames,
    readonly identity: Buffer,
    readonly server: ServerSocket,
    readonly remoteErrors: RemoteErrorCodec,
  ) {
    this.ctxt = request.context;
    this.message = request.request;
    this.clientTimeout = request.callMonitorTimeout;
  }

  reply(r: Reply): Promise<void> {
    const msgId = this.request.msgId;
    const frames =
      r.failure !== undefined
        ? encodeReply(msgId, { failure: this.remoteErrors.serialize(r.failure) })
        : encodeReply(msgId, { result: r.result });
    return this.server.answer(this.identity, msgId, frames, 'the reply to');
  }

  heartbeat(): Promise<void> {
    const msgId = this.request.msgId;
    return this.server.answer(this.identity, msgId, encodeHeartbeat(msgId), 'a heartbeat for');
  }
}

/**
 * Brokerless transport over ZeroMQ: each serving process binds one ROUTER socket and announces itself
 * in the matchmaker; clients keep one DEALER per server process. See the package README for the protocol.
 */
export class ZmqDriver implements Driver {
  readonly #ctx: DriverContext;
  readonly #opts: ZmqOptions;
  readonly #matchmaker: Matchmaker;
  readonly #hosts: HostCache;
  readonly #peers = new Map<string, Peer>();
  readonly #roundRobin = new Map<string, number>();
  readonly #routes = new LocalRoutes();
  readonly #registrations: Registrations;
  readonly #sweeper: NodeJS.Timeout;
  readonly #ackSweeper: NodeJS.Timeout;
  #server: Promise<ServerSocket> | undefined;
  #closed = false;
  /** Interruptible waits in progress, woken by cleanup. */
  readonly #wakers: Wakers = new Set();
  /** `#what()` of the topics called without a server name. */
  readonly #topicNames = new Map<string, string>();

  constructor(ctx: DriverContext, opts: ZmqOptions, matchmaker: Matchmaker) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.#matchmaker = matchmaker;
    this.#hosts = new HostCache(matchmaker, opts.zmq_host_cache_ttl * 1000, ctx.logger);
    this.#registrations = new Registrations(matchmaker, opts.zmq_target_expire, opts.zmq_target_update, ctx.logger);
    this.#sweeper = setInterval(() => this.#sweepIdlePeers(), 30_000);
    this.#sweeper.unref();
    // ACK deadlines are checked by one timer instead of one per message.
    this.#ackSweeper = setInterval(
      () => {
        const now = Date.now();
        for (const peer of this.#peers.values()) if (peer.pending.size > 0) peer.expire(now);
      },
      Math.min(250, Math.max(10, (opts.rpc_ack_timeout_base * 1000) / 4)),
    );
    this.#ackSweeper.unref();
  }

  /** The address this process serves on (`host:port`), once a server or listener started. */
  async serverAddress(): Promise<string> {
    return (await this.#serverSocket()).address;
  }

  // ---- client side -------------------------------------------------------------------------

  #peer(address: string): Peer {
    let peer = this.#peers.get(address);
    if (!peer || peer.closed) {
      peer = new Peer(
        address,
        { connectTimeoutMs: this.#opts.zmq_connect_timeout * 1000, lingerMs: this.#lingerMs() },
        {
          onResponse: (r, p) => this.#onResponse(r, p),
          onDisconnect: (p) => this.#ctx.logger.debug(`Lost the connection to ${p.address}`),
        },
        this.#ctx.logger,
      );
      this.#peers.set(address, peer);
    }
    return peer;
  }

  #lingerMs(): number {
    return this.#opts.zmq_linger < 0 ? -1 : this.#opts.zmq_linger * 1000;
  }

  #sweepIdlePeers(): void {
    const idleSince = Date.now() - 60_000;
    for (const [address, peer] of this.#peers) {
      if (peer.pending.size === 0 && peer.lastUsed < idleSince) {
        peer.close();
        this.#peers.delete(address);
      }
    }
  }

  #onResponse(response: ResponseFrames, peer: Peer): void {
    const pending = peer.pending.get(response.msgId);
    switch (response.type) {
      case MessageType.ACK:
        if (pending) {
          peer.pending.delete(response.msgId);
          pending.ack();
        }
        return;
      case MessageType.NACK:
        if (pending) {
          peer.pending.delete(response.msgId);
          pending.fail(response.reason, false);
        }
        return;
      case MessageType.HEARTBEAT:
        if (pending) {
          peer.pending.delete(response.msgId);
          pending.ack();
        }
        this.#ctx.replies.heartbeat(response.msgId);
        return;
      case MessageType.REPLY:
        if (pending) {
          peer.pending.delete(response.msgId);
          pending.ack();
        }
        if (response.failure) this.#ctx.replies.fail(response.msgId, response.failure);
        else this.#ctx.replies.resolve(response.msgId, response.result ?? null);
        return;
    }
  }

  /**
   * Picks the next address round-robin over every candidate, connected or not (a server nobody talked
   * to yet gets its turn and is connected to on demand), skipping only peers that are down (failed to
   * connect, lost the connection or missed an ACK) while another candidate is not.
   */
  #choose(key: string, candidates: readonly string[]): string {
    const n = candidates.length;
    const start = (this.#roundRobin.get(key) ?? 0) % n;
    for (let i = 0; i < n; i++) {
      const index = (start + i) % n;
      const address = candidates[index]!;
      const peer = this.#peers.get(address);
      if (peer === undefined || !peer.down || peer.closed) {
        this.#roundRobin.set(key, index + 1);
        return address;
      }
    }
    this.#roundRobin.set(key, start + 1);
    return candidates[start]!;
  }

  /**
   * One attempt: send to `address` and wait for its ACK (or NACK, disconnect, or the ACK deadline, see
   * the sweep). The caller giving up (`stop`) ends the wait at once and drops the message if it is still
   * queued behind a connection that is not up.
   */
  #attempt(
    address: string,
    frames: string[],
    msgId: string,
    ackTimeoutMs: number,
    fireAndForget: boolean,
    stop: Interruption,
  ): Promise<AttemptResult> {
    let peer: Peer;
    try {
      peer = this.#peer(address);
    } catch (err) {
      return Promise.resolve({ outcome: 'refused', reason: `cannot connect to ${address}: ${(err as Error).message}` });
    }
    const couldNotSend = (err: Error): AttemptResult => ({
      outcome: 'failed',
      reason: `could not send to ${address}: ${err.message}`,
    });
    if (interrupted(stop)) return Promise.resolve(ABORTED);
    if (fireAndForget)
      return bounded(
        peer.send(frames).then(() => ACKED, couldNotSend),
        ABORTED,
        stop,
        this.#wakers,
      );
    // No abort listener per message: the ACK sweep drops the entry once the signal aborted (and the
    // deadline caps the wait), and the send queue skips it if it did not go out yet.
    return new Promise((resolve) => {
      const ackBy = Date.now() + ackTimeoutMs;
      this.#sendAwaitingAck(peer, msgId, frames, {
        deadline: stop.until !== undefined && stop.until < ackBy ? stop.until : ackBy,
        abortable: stop,
        ack: () => resolve(ACKED),
        fail: (reason, retryable) =>
          resolve(stop.signal?.aborted === true ? ABORTED : { outcome: retryable ? 'failed' : 'refused', reason }),
      });
    });
  }

  /**
   * Queues `frames` to `peer` with `entry` waiting for the ACK; a send that cannot go out fails the
   * entry, and a message whose entry was dropped (its caller gave up) before it went out is not sent.
   */
  #sendAwaitingAck(peer: Peer, msgId: string, frames: string[], entry: PendingDelivery): void {
    peer.pending.set(msgId, entry);
    peer.push(
      frames,
      (err: Error) => {
        if (peer.pending.get(msgId) !== entry) return;
        peer.pending.delete(msgId);
        entry.fail(`could not send to ${peer.address}: ${err.message}`, true);
      },
      () => peer.pending.get(msgId) === entry && entry.abortable?.signal?.aborted !== true,
    );
  }

  /**
   * Delivers one message to one process among `plan.hosts()`: round-robin, skipping processes that refuse
   * it, re-sending (with a growing acknowledgement timeout) after a loss, waiting for a server to appear
   * until `plan.deadline`. Throws `MessageDeliveryFailure` (or `MessagingTimeout` when nobody serves it).
   */
  async #deliver(plan: DeliveryPlan): Promise<boolean> {
    const refused = new Set<string>();
    if (plan.avoid !== undefined) refused.add(plan.avoid);
    let failures = 0;
    const status = plan.status ?? { reason: '' };
    if (status.reason === '') status.reason = 'no server is registered';
    let fresh = plan.avoid !== undefined;
    for (;;) {
      if (this.#closed) throw new TransportDriverError('The transport was cleaned up');
      if (plan.abandoned?.()) return false;
      if (interrupted(plan.stop)) return this.#giveUp(plan, status.reason);
      const found = plan.hosts(fresh);
      const hosts = Array.isArray(found) ? found : await bounded(found, NO_HOSTS, plan.stop, this.#wakers);
      if (interrupted(plan.stop)) return this.#giveUp(plan, status.reason);
      const candidates = refused.size === 0 ? hosts : hosts.filter((h) => !refused.has(h));
      if (candidates.length === 0) {
        const now = Date.now();
        if (now >= plan.deadline) throw new MessagingTimeout(`No live server for ${plan.what} (${status.reason})`);
        await pause(Math.min(this.#opts.wait_timeout, plan.deadline - now), plan.stop, this.#wakers);
        refused.clear();
        fresh = true;
        continue;
      }
      const address = this.#choose(plan.what, candidates);
      const ackTimeout =
        this.#opts.rpc_ack_timeout_base * 1000 * this.#opts.rpc_ack_timeout_multiplier ** Math.min(failures, 8);
      const { outcome, reason } = await this.#attempt(
        address,
        plan.frames(failures),
        plan.msgId,
        ackTimeout,
        plan.fireAndForget === true,
        plan.stop,
      );
      if (outcome === 'ack') return true;
      if (outcome === 'aborted' || interrupted(plan.stop)) continue; // the checks at the top end it
      status.reason = reason;
      fresh = true;
      if (outcome === 'refused') {
        refused.add(address);
        continue;
      }
      this.#ctx.logger.warn(`Delivery of ${plan.msgId} to ${plan.what} failed: ${reason}`);
      if (++failures > plan.retries)
        throw new MessageDeliveryFailure(`Could not deliver to ${plan.what} after ${failures} attempt(s): ${reason}`);
      refused.add(address); // prefer another process for the re-send; it comes back after the next wait
    }
  }

  /**
   * The caller's deadline passed or its signal aborted: a call just stops (its reply waiter explains
   * the timeout, or was dropped on abort); a cast or notification fails.
   */
  #giveUp(plan: DeliveryPlan, reason: string): false {
    if (plan.abandoned !== undefined) return false;
    if (plan.stop.signal?.aborted) throw abandonedError(plan.stop.signal, plan.what);
    throw new MessagingTimeout(`No live server for ${plan.what} took the message by its deadline (${reason})`);
  }

  #retries(retry: number | null | undefined): number {
    return retry != null && retry >= 0 ? retry : this.#opts.rpc_retry_attempts;
  }

  send(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<unknown> {
    // Not an async function: a call returns its reply waiter's promise as it is (no wrapper promise).
    try {
      return options.waitForReply && !target.fanout
        ? this.#call(target, ctxt, request, options)
        : this.#cast(target, ctxt, request, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** `topic …[, server …]`, the round-robin key and what error messages name (one string per topic while no server is named). */
  #what(topic: string, server: string): string {
    if (server) return `topic ${topic}, server ${server}`;
    let what = this.#topicNames.get(topic);
    if (what === undefined) this.#topicNames.set(topic, (what = `topic ${topic}`));
    return what;
  }

  async #cast(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<undefined> {
    const topic = String(target.topic);
    const server = target.server ?? '';
    const what = this.#what(topic, server);
    const signal = options.signal;
    if (signal?.aborted) throw abandonedError(signal, what);
    if (target.fanout) return this.#fanout(target, ctxt, request, options) as Promise<undefined>;
    const msgId = uuidHex();
    const frames = encodeRequest(MessageType.CAST, msgId, topic, server, ctxt, request, null);
    const hosts = (fresh: boolean) => this.#hosts.lookup(topic, target.server, LISTENER_TYPE.rpc, false, fresh);
    const noWait = options.retry === 0 ? 0 : this.#opts.check_timeout;
    const stop: Interruption = { signal, until: options.deadline };
    const findBy =
      options.deadline !== undefined ? Math.min(options.deadline, Date.now() + noWait) : Date.now() + noWait;
    try {
      await this.#deliver({
        what,
        hosts,
        frames: () => frames,
        msgId,
        deadline: findBy,
        stop,
        retries: this.#retries(options.retry),
        fireAndForget: !this.#opts.rpc_use_acks,
      });
    } catch (err) {
      // Nobody took it within check_timeout: a delivery failure (the caller's own deadline: a timeout).
      if (err instanceof MessagingTimeout && !interrupted(stop))
        throw new MessageDeliveryFailure(err.message, { cause: err });
      throw err;
    }
    return undefined;
  }

  /**
   * A call. It does not read `options.signal` on its fast path (core makes it on first read): its reply
   * waiter hooks into core's operation (or listens to the caller's signal) and says if it is over.
   */
  #call(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<unknown> {
    const topic = String(target.topic);
    const server = target.server ?? '';
    const what = this.#what(topic, server);
    const msgId = uuidHex();
    const frames = encodeRequest(MessageType.CALL, msgId, topic, server, ctxt, request, options.callMonitorTimeout);
    const now = Date.now();
    const deadline = options.deadline ?? now + (options.timeout ?? 60) * 1000;
    // The reply waiter times out at the caller's deadline (core's, when it gave one) and is dropped
    // when the caller gives up: it hooks into core's operation itself, or listens to a caller's signal.
    const call = new OutgoingCall(this, target, what, msgId, frames, options, deadline, Math.max(0, deadline - now));
    const reply = this.#ctx.replies.wait(msgId, options, call.explain);
    if (!this.#ctx.replies.has(msgId)) return reply; // given up already: nothing to send
    // Fast path: the next server in the round robin (connected, or connected to now) takes the request
    // with no retry machinery; anything else (no cached hosts, a down peer, a refusal, a lost
    // connection, no ACK) falls back to #deliver, which avoids the server that just failed.
    const cached = this.#hosts.lookup(topic, target.server, LISTENER_TYPE.rpc, false, false);
    if (!Array.isArray(cached) || cached.length === 0) {
      this.#slowPath(call, undefined);
      return reply;
    }
    const address = this.#choose(what, cached);
    let peer: Peer | undefined;
    try {
      peer = this.#peer(address);
    } catch (err) {
      call.reason = `cannot connect to ${address}: ${(err as Error).message}`;
    }
    if (peer === undefined || peer.down) {
      this.#slowPath(call, undefined);
      return reply;
    }
    call.address = address;
    call.deadline = Date.now() + this.#opts.rpc_ack_timeout_base * 1000;
    this.#sendAwaitingAck(peer, msgId, frames, call);
    return reply;
  }

  /** A call the fast path could not place (or whose attempt failed at `avoid`): the full delivery loop. */
  #slowPath(call: OutgoingCall, avoid: string | undefined): void {
    const { what, msgId, options, callDeadline: deadline } = call;
    const topic = String(call.target.topic);
    const signal = options.signal;
    const stop: Interruption = { signal, until: deadline };
    const hosts = (fresh: boolean) => this.#hosts.lookup(topic, call.target.server, LISTENER_TYPE.rpc, false, fresh);
    this.#deliver({
      what,
      hosts,
      frames: () => call.frames,
      msgId,
      deadline,
      stop,
      retries: this.#retries(options.retry),
      abandoned: () => !this.#ctx.replies.has(msgId),
      status: call,
      ...(avoid !== undefined ? { avoid } : {}),
    }).then(
      (ok) => {
        if (ok) call.delivered = true;
        else if (signal?.aborted) this.#ctx.replies.fail(msgId, abandonedError(signal, what));
      },
      (err: Error) => this.#ctx.replies.fail(msgId, err),
    );
  }

  /** The fast path's attempt failed (NACK, lost connection, no ACK): the slow path takes over while the call waits. */
  retryCall(call: OutgoingCall): void {
    if (this.#ctx.replies.has(call.msgId)) this.#slowPath(call, call.address);
  }

  async #fanout(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<void> {
    const topic = String(target.topic);
    const stop: Interruption = { signal: options.signal, until: options.deadline };
    const hosts = await bounded(
      Promise.resolve(this.#hosts.lookup(topic, undefined, LISTENER_TYPE.rpc, true, true)),
      NO_HOSTS,
      stop,
      this.#wakers,
    );
    if (interrupted(stop)) throw abandonedError(options.signal, `fanout ${topic}`);
    if (hosts.length === 0) {
      this.#ctx.logger.debug(`Fanout to ${topic}: no server is registered`);
      return;
    }
    const results = await Promise.allSettled(
      hosts.map((address) => {
        const msgId = uuidHex();
        const frames = encodeRequest(MessageType.CAST_FANOUT, msgId, topic, '', ctxt, request);
        return this.#deliver({
          what: `fanout ${topic} at ${address}`,
          hosts: async () => [address],
          frames: () => frames,
          msgId,
          deadline: Date.now(),
          stop,
          retries: this.#retries(options.retry),
          fireAndForget: !this.#opts.rpc_use_acks,
        });
      }),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const f of failed) this.#ctx.logger.warn(`Fanout to ${topic}: ${(f.reason as Error).message}`);
    if (failed.length === hosts.length)
      throw new MessageDeliveryFailure(
        `Fanout to ${topic} reached none of its ${hosts.length} server(s): ${(failed[0]!.reason as Error).message}`,
      );
  }

  async sendNotification(
    target: Target,
    ctxt: Context,
    message: NotificationMessage,
    options: NotificationSendOptions,
  ): Promise<void> {
    const { retry, signal } = options;
    const topic = String(target.topic);
    const what = `notifications ${topic}`;
    const stop: Interruption = { signal };
    const members = (fresh: boolean) =>
      bounded(
        Promise.resolve(this.#hosts.lookup(topic, undefined, LISTENER_TYPE.notify, false, fresh)),
        NO_HOSTS,
        stop,
        this.#wakers,
      );
    const deadline = Date.now() + (retry === 0 ? 0 : this.#opts.check_timeout);
    let found = await members(false);
    while (found.length === 0 && Date.now() < deadline && !interrupted(stop) && !this.#closed) {
      await pause(Math.min(this.#opts.wait_timeout, deadline - Date.now()), stop, this.#wakers);
      found = await members(true);
    }
    if (this.#closed) throw new TransportDriverError('The transport was cleaned up');
    if (interrupted(stop)) throw abandonedError(signal, what);
    if (found.length === 0) throw new MessageDeliveryFailure(`No listener for notifications on ${topic}`);
    const pools = new Set(found.map((m) => parseNotifyMember(m).pool));
    await Promise.all(
      [...pools].map(async (pool) => {
        const msgId = uuidHex();
        const frames = encodeRequest(MessageType.NOTIFY, msgId, topic, pool, ctxt, message);
        const hosts = async (fresh: boolean) =>
          (await members(fresh))
            .map(parseNotifyMember)
            .filter((m) => m.pool === pool)
            .map((m) => m.address);
        await this.#deliver({
          what: `${what}${pool ? ` (pool ${pool})` : ''}`,
          hosts,
          frames: () => frames,
          msgId,
          deadline,
          stop,
          retries: this.#retries(retry),
          fireAndForget: !this.#opts.rpc_use_acks,
        });
      }),
    ).catch((err: unknown) => {
      throw err instanceof MessagingTimeout ? new MessageDeliveryFailure(err.message, { cause: err }) : err;
    });
  }

  // ---- server side -------------------------------------------------------------------------

  #serverSocket(): Promise<ServerSocket> {
    if (this.#closed) return Promise.reject(new TransportDriverError('The transport was cleaned up'));
    this.#server ??= ServerSocket.bind(this.#routes, this.#ctx.logger, {
      bindAddress: this.#opts.rpc_zmq_bind_address,
      advertiseHost: this.#advertiseHost(),
      port: this.#opts.rpc_zmq_bind_port,
      minPort: this.#opts.rpc_zmq_min_port,
      maxPort: this.#opts.rpc_zmq_max_port,
      retries: this.#opts.rpc_zmq_bind_port_retries,
      lingerMs: this.#lingerMs(),
    });
    this.#server.catch(() => (this.#server = undefined));
    return this.#server;
  }

  /** `rpc_zmq_host`, else a specific bind address, else this machine's host name (as oslo). */
  #advertiseHost(): string {
    if (this.#opts.rpc_zmq_host) return this.#opts.rpc_zmq_host;
    const bind = this.#opts.rpc_zmq_bind_address;
    return bind !== '*' && bind !== '0.0.0.0' && bind !== '::' ? bind : hostname();
  }

  /** A listener over local endpoints that registers `entries` in the matchmaker while started. */
  async #listener(
    kind: 'rpc' | 'notify',
    endpoints: Array<{
      topic: string;
      group: string;
      target: Target;
      member: (address: string) => string;
      listenerType: string;
    }>,
    incoming: (
      request: RequestFrames,
      identity: Buffer,
      server: ServerSocket,
      endpoint: LocalEndpoint,
    ) => IncomingMessage,
  ): Promise<Listener> {
    const server = await this.#serverSocket();
    let onMessage: MessageSink | undefined;
    let running = false;
    const locals: LocalEndpoint[] = endpoints.map((e) => {
      const local: LocalEndpoint = {
        topic: e.topic,
        group: e.group,
        deliver: (request, identity) => {
          if (!running || !onMessage) {
            this.#ctx.logger.warn(`Dropping ${request.msgId}: its listener stopped`);
            return;
          }
          void onMessage(incoming(request, identity, server, local));
        },
      };
      return local;
    });
    const stop = async () => {
      if (!running) return;
      running = false;
      for (const l of locals) this.#routes.remove(kind, l);
      for (const e of endpoints) await this.#registrations.remove(e.target, e.member(server.address), e.listenerType);
    };
    return {
      start: async (handler) => {
        onMessage = handler;
        if (running) return;
        running = true;
        for (const l of locals) this.#routes.add(kind, l);
        for (const e of endpoints) await this.#registrations.add(e.target, e.member(server.address), e.listenerType);
      },
      stop,
      cleanup: stop,
    };
  }

  async listen(target: Target): Promise<Listener> {
    const topic = String(target.topic);
    const name = String(target.server);
    return this.#listener(
      'rpc',
      [
        {
          topic,
          group: name,
          target: new Target({ topic, server: name }),
          member: (a) => a,
          listenerType: LISTENER_TYPE.rpc,
        },
      ],
      (request, identity, server) => this.#incomingRpc(request, identity, server),
    );
  }

  async listenForNotifications(
    targetsAndPriorities: ReadonlyArray<readonly [Target, string]>,
    options: NotificationListenOptions,
  ): Promise<Listener> {
    const seen = new Set<string>();
    const endpoints = [];
    for (const [target, priority] of targetsAndPriorities) {
      const topic = `${String(target.topic)}.${priority}`;
      if (seen.has(topic)) continue;
      seen.add(topic);
      endpoints.push({
        topic,
        group: options.pool ?? '',
        target: new Target({ topic }),
        member: (a: string) => notifyMember(a, options.pool),
        listenerType: LISTENER_TYPE.notify,
      });
    }
    return this.#listener('notify', endpoints, (request, identity, server, endpoint) =>
      this.#incomingNotification(request, identity, server, endpoint),
    );
  }

  #incomingRpc(request: RequestFrames, identity: Buffer, server: ServerSocket): IncomingMessage {
    if (request.type !== MessageType.CALL)
      return this.#ctx.incoming({
        ctxt: request.context,
        message: request.request,
        clientTimeout: request.callMonitorTimeout,
      });
    return this.#ctx.incoming(new IncomingCall(request, identity, server, this.#ctx.remoteErrors));
  }

  #incomingNotification(
    request: RequestFrames,
    identity: Buffer,
    _server: ServerSocket,
    endpoint: LocalEndpoint,
  ): IncomingMessage {
    return this.#ctx.incoming({
      ctxt: request.context,
      message: request.request,
      // The message is already in this process: requeue hands it to a member of the same pool here.
      requeue: () => void setImmediate(() => this.#routes.sibling(endpoint).deliver(request, identity)),
    });
  }

  async cleanup(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweeper);
    clearInterval(this.#ackSweeper);
    for (const wake of [...this.#wakers]) wake();
    await this.#registrations.close();
    const server = await this.#server?.catch(() => undefined);
    server?.close();
    for (const peer of this.#peers.values()) peer.close();
    this.#peers.clear();
    await this.#matchmaker.close();
  }
}
