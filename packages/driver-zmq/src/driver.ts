import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { MessageDeliveryFailure, MessagingTimeout, Target, TransportDriverError, type Context } from '@oslo-messaging/core';
import {
  type Driver,
  type DriverContext,
  type IncomingMessage,
  type Listener,
  type MessageSink,
  type Matchmaker,
  type NotificationListenOptions,
  type NotificationMessage,
  type NotificationSendOptions,
  type Reply,
  type ResolvedOptions,
  type RpcRequest,
  type SendOptions,
} from '@oslo-messaging/core/spi';
import { abandonedError, bounded, interrupted, pause, type Interruption, type Wakers } from './abort.js';
import { encodeHeartbeat, encodeReply, encodeRequest, MessageType, type RequestFrames, type RequestType, type ResponseFrames } from './frames.js';
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

  constructor(ctx: DriverContext, opts: ZmqOptions, matchmaker: Matchmaker) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.#matchmaker = matchmaker;
    this.#hosts = new HostCache(matchmaker, opts.zmq_host_cache_ttl * 1000, ctx.logger);
    this.#registrations = new Registrations(matchmaker, opts.zmq_target_expire, opts.zmq_target_update, ctx.logger);
    this.#sweeper = setInterval(() => this.#sweepIdlePeers(), 30_000);
    this.#sweeper.unref();
    // ACK deadlines are checked by one timer instead of one per message.
    this.#ackSweeper = setInterval(() => {
      const now = Date.now();
      for (const peer of this.#peers.values()) if (peer.pending.size > 0) peer.expire(now);
    }, Math.min(250, Math.max(10, (opts.rpc_ack_timeout_base * 1000) / 4)));
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
      peer = new Peer(address, { connectTimeoutMs: this.#opts.zmq_connect_timeout * 1000, lingerMs: this.#lingerMs() }, {
        onResponse: (r, p) => this.#onResponse(r, p),
        onDisconnect: (p) => this.#ctx.logger.debug(`Lost the connection to ${p.address}`),
      }, this.#ctx.logger);
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
  #attempt(address: string, frames: string[], msgId: string, ackTimeoutMs: number, fireAndForget: boolean, stop: Interruption): Promise<AttemptResult> {
    let peer: Peer;
    try {
      peer = this.#peer(address);
    } catch (err) {
      return Promise.resolve({ outcome: 'refused', reason: `cannot connect to ${address}: ${(err as Error).message}` });
    }
    const couldNotSend = (err: Error): AttemptResult => ({ outcome: 'failed', reason: `could not send to ${address}: ${err.message}` });
    if (interrupted(stop)) return Promise.resolve(ABORTED);
    if (fireAndForget) return bounded(peer.send(frames).then(() => ACKED, couldNotSend), ABORTED, stop, this.#wakers);
    // No abort listener per message: the ACK sweep drops the entry once the signal aborted (and the
    // deadline caps the wait), and the send queue skips it if it did not go out yet.
    return new Promise((resolve) => {
      const ackBy = Date.now() + ackTimeoutMs;
      this.#sendAwaitingAck(peer, msgId, frames, {
        deadline: stop.until !== undefined && stop.until < ackBy ? stop.until : ackBy,
        abortable: stop,
        ack: () => resolve(ACKED),
        fail: (reason, retryable) => resolve(stop.signal?.aborted === true ? ABORTED : { outcome: retryable ? 'failed' : 'refused', reason }),
      });
    });
  }

  /**
   * Queues `frames` to `peer` with `entry` waiting for the ACK; a send that cannot go out fails the
   * entry, and a message whose entry was dropped (its caller gave up) before it went out is not sent.
   */
  #sendAwaitingAck(peer: Peer, msgId: string, frames: string[], entry: PendingDelivery): void {
    peer.pending.set(msgId, entry);
    peer.push(frames, (err: Error) => {
      if (peer.pending.get(msgId) !== entry) return;
      peer.pending.delete(msgId);
      entry.fail(`could not send to ${peer.address}: ${err.message}`, true);
    }, () => peer.pending.get(msgId) === entry && entry.abortable?.signal?.aborted !== true);
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
      const ackTimeout = this.#opts.rpc_ack_timeout_base * 1000 * this.#opts.rpc_ack_timeout_multiplier ** Math.min(failures, 8);
      const { outcome, reason } = await this.#attempt(address, plan.frames(failures), plan.msgId, ackTimeout, plan.fireAndForget === true, plan.stop);
      if (outcome === 'ack') return true;
      if (outcome === 'aborted' || interrupted(plan.stop)) continue; // the checks at the top end it
      status.reason = reason;
      fresh = true;
      if (outcome === 'refused') {
        refused.add(address);
        continue;
      }
      this.#ctx.logger.warn(`Delivery of ${plan.msgId} to ${plan.what} failed: ${reason}`);
      if (++failures > plan.retries) throw new MessageDeliveryFailure(`Could not deliver to ${plan.what} after ${failures} attempt(s): ${reason}`);
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

  async send(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<unknown> {
    const topic = String(target.topic);
    const server = target.server ?? '';
    const what = server ? `topic ${topic}, server ${server}` : `topic ${topic}`;
    // A call does not read `options.signal` on its fast path (core makes it on first read): its reply
    // waiter hooks into core's operation (or listens to the caller's signal) and says if it is over.
    if (!options.waitForReply || target.fanout) {
      const signal = options.signal;
      if (signal?.aborted) throw abandonedError(signal, what);
    }
    if (target.fanout) return this.#fanout(target, ctxt, request, options);
    const msgId = randomUUID();
    const type: RequestType = options.waitForReply ? MessageType.CALL : MessageType.CAST;
    const frames = encodeRequest(type, msgId, topic, server, ctxt, request, options.waitForReply ? options.callMonitorTimeout : null);
    const hosts = (fresh: boolean) => this.#hosts.lookup(topic, target.server, LISTENER_TYPE.rpc, false, fresh);
    if (!options.waitForReply) {
      const signal = options.signal;
      const noWait = options.retry === 0 ? 0 : this.#opts.check_timeout;
      const stop: Interruption = { signal, until: options.deadline };
      const findBy = options.deadline !== undefined ? Math.min(options.deadline, Date.now() + noWait) : Date.now() + noWait;
      try {
        await this.#deliver({ what, hosts, frames: () => frames, msgId, deadline: findBy, stop, retries: this.#retries(options.retry), fireAndForget: !this.#opts.rpc_use_acks });
      } catch (err) {
        // Nobody took it within check_timeout: a delivery failure (the caller's own deadline: a timeout).
        if (err instanceof MessagingTimeout && !interrupted(stop)) throw new MessageDeliveryFailure(err.message, { cause: err });
        throw err;
      }
      return undefined;
    }
    const now = Date.now();
    const deadline = options.deadline ?? now + (options.timeout ?? 60) * 1000;
    const timeoutMs = Math.max(0, deadline - now);
    // A call keeps looking for a server until its own timeout; if none took the request by then, the
    // timeout says so (once delivered, silence is the usual MessagingTimeout).
    const status = { reason: '' };
    let delivered = false;
    // The reply waiter times out at the caller's deadline (core's, when it gave one) and is dropped
    // when the caller gives up: it hooks into core's operation itself, or listens to a caller's signal.
    const reply = this.#ctx.replies.wait(msgId, options, () => (delivered ? undefined : `No live server for ${what} took the call within ${(options.timeout ?? timeoutMs / 1000)} s (${status.reason || 'no server is registered'})`));
    if (!this.#ctx.replies.has(msgId)) return reply; // given up already: nothing to send
    const slowPath = (avoid?: string) => {
      const signal = options.signal;
      const stop: Interruption = { signal, until: deadline };
      this.#deliver({ what, hosts, frames: () => frames, msgId, deadline, stop, retries: this.#retries(options.retry), abandoned: () => !this.#ctx.replies.has(msgId), status, ...(avoid !== undefined ? { avoid } : {}) })
        .then((ok) => {
          if (ok) delivered = true;
          else if (signal?.aborted) this.#ctx.replies.fail(msgId, abandonedError(signal, what));
        }, (err: Error) => this.#ctx.replies.fail(msgId, err));
    };
    // Fast path: the next server in the round robin (connected, or connected to now) takes the request
    // with no retry machinery; anything else (no cached hosts, a down peer, a refusal, a lost
    // connection, no ACK) falls back to #deliver, which avoids the server that just failed.
    const cached = hosts(false);
    if (!Array.isArray(cached) || cached.length === 0) {
      slowPath();
      return reply;
    }
    const address = this.#choose(what, cached);
    let peer: Peer | undefined;
    try {
      peer = this.#peer(address);
    } catch (err) {
      status.reason = `cannot connect to ${address}: ${(err as Error).message}`;
    }
    if (peer === undefined || peer.down) {
      slowPath();
      return reply;
    }
    this.#sendAwaitingAck(peer, msgId, frames, {
      deadline: Date.now() + this.#opts.rpc_ack_timeout_base * 1000,
      abortable: options,
      ack: () => (delivered = true),
      fail: (reason) => {
        status.reason = reason;
        if (this.#ctx.replies.has(msgId)) slowPath(address);
      },
    });
    return reply;
  }

  async #fanout(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<void> {
    const topic = String(target.topic);
    const stop: Interruption = { signal: options.signal, until: options.deadline };
    const hosts = await bounded(Promise.resolve(this.#hosts.lookup(topic, undefined, LISTENER_TYPE.rpc, true, true)), NO_HOSTS, stop, this.#wakers);
    if (interrupted(stop)) throw abandonedError(options.signal, `fanout ${topic}`);
    if (hosts.length === 0) {
      this.#ctx.logger.debug(`Fanout to ${topic}: no server is registered`);
      return;
    }
    const results = await Promise.allSettled(hosts.map((address) => {
      const msgId = randomUUID();
      const frames = encodeRequest(MessageType.CAST_FANOUT, msgId, topic, '', ctxt, request);
      return this.#deliver({ what: `fanout ${topic} at ${address}`, hosts: async () => [address], frames: () => frames, msgId, deadline: Date.now(), stop, retries: this.#retries(options.retry), fireAndForget: !this.#opts.rpc_use_acks });
    }));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const f of failed) this.#ctx.logger.warn(`Fanout to ${topic}: ${(f.reason as Error).message}`);
    if (failed.length === hosts.length) throw new MessageDeliveryFailure(`Fanout to ${topic} reached none of its ${hosts.length} server(s): ${(failed[0]!.reason as Error).message}`);
  }

  async sendNotification(target: Target, ctxt: Context, message: NotificationMessage, options: NotificationSendOptions): Promise<void> {
    const { retry, signal } = options;
    const topic = String(target.topic);
    const what = `notifications ${topic}`;
    const stop: Interruption = { signal };
    const members = (fresh: boolean) => bounded(Promise.resolve(this.#hosts.lookup(topic, undefined, LISTENER_TYPE.notify, false, fresh)), NO_HOSTS, stop, this.#wakers);
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
    await Promise.all([...pools].map(async (pool) => {
      const msgId = randomUUID();
      const frames = encodeRequest(MessageType.NOTIFY, msgId, topic, pool, ctxt, message);
      const hosts = async (fresh: boolean) => (await members(fresh)).map(parseNotifyMember).filter((m) => m.pool === pool).map((m) => m.address);
      await this.#deliver({ what: `${what}${pool ? ` (pool ${pool})` : ''}`, hosts, frames: () => frames, msgId, deadline, stop, retries: this.#retries(retry), fireAndForget: !this.#opts.rpc_use_acks });
    })).catch((err: unknown) => {
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
  async #listener(kind: 'rpc' | 'notify', endpoints: Array<{ topic: string; group: string; target: Target; member: (address: string) => string; listenerType: string }>, incoming: (request: RequestFrames, identity: Buffer, server: ServerSocket, endpoint: LocalEndpoint) => IncomingMessage): Promise<Listener> {
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
    return this.#listener('rpc', [{ topic, group: name, target: new Target({ topic, server: name }), member: (a) => a, listenerType: LISTENER_TYPE.rpc }], (request, identity, server) => this.#incomingRpc(request, identity, server));
  }

  async listenForNotifications(targetsAndPriorities: ReadonlyArray<readonly [Target, string]>, options: NotificationListenOptions): Promise<Listener> {
    const seen = new Set<string>();
    const endpoints = [];
    for (const [target, priority] of targetsAndPriorities) {
      const topic = `${String(target.topic)}.${priority}`;
      if (seen.has(topic)) continue;
      seen.add(topic);
      endpoints.push({ topic, group: options.pool ?? '', target: new Target({ topic }), member: (a: string) => notifyMember(a, options.pool), listenerType: LISTENER_TYPE.notify });
    }
    return this.#listener('notify', endpoints, (request, identity, server, endpoint) => this.#incomingNotification(request, identity, server, endpoint));
  }

  #incomingRpc(request: RequestFrames, identity: Buffer, server: ServerSocket): IncomingMessage {
    const isCall = request.type === MessageType.CALL;
    const msgId = request.msgId;
    const init = { ctxt: request.context, message: request.request, clientTimeout: request.callMonitorTimeout };
    if (!isCall) return this.#ctx.incoming(init);
    return this.#ctx.incoming({
      ...init,
      reply: async (r: Reply) => {
        const frames = r.failure !== undefined ? encodeReply(msgId, { failure: this.#ctx.remoteErrors.serialize(r.failure) }) : encodeReply(msgId, { result: r.result });
        await server.answer(identity, msgId, frames, `the reply to ${msgId}`);
      },
      heartbeat: () => server.answer(identity, msgId, encodeHeartbeat(msgId), `a heartbeat for ${msgId}`),
    });
  }

  #incomingNotification(request: RequestFrames, identity: Buffer, _server: ServerSocket, endpoint: LocalEndpoint): IncomingMessage {
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
