import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  MessageDeliveryFailure,
  MessagingTimeout,
  ReplyWaiters,
  Target,
  TransportDriverError,
  type Context,
  type Driver,
  type DriverContext,
  type IncomingMessage,
  type Listener,
  type Matchmaker,
  type NotificationListenOptions,
  type NotificationMessage,
  type Reply,
  type ResolvedOptions,
  type RpcRequest,
  type SendOptions,
} from '@oslo-messaging/core';
import { encodeHeartbeat, encodeReply, encodeRequest, MessageType, type RequestFrames, type RequestType, type ResponseFrames } from './frames.js';
import { HostCache, LISTENER_TYPE, notifyMember, parseNotifyMember } from './hosts.js';
import { LocalRoutes, type LocalEndpoint } from './local-routes.js';
import { ZMQ_OPTIONS } from './options.js';
import { Peer, type PendingDelivery } from './peer.js';
import { Registrations } from './registrations.js';
import { ServerSocket } from './server-socket.js';

export type ZmqOptions = ResolvedOptions<typeof ZMQ_OPTIONS>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Why one delivery attempt did not end with an acknowledgement. */
type Outcome = 'ack' | 'refused' | 'failed';
type AttemptResult = { readonly outcome: Outcome; readonly reason: string };
const ACKED: AttemptResult = Object.freeze({ outcome: 'ack', reason: '' });

/** How to deliver one message: where it may go and how long to keep trying. */
interface DeliveryPlan {
  readonly what: string;
  /** Candidate addresses; `fresh` asks the matchmaker again instead of the cache. */
  hosts(fresh: boolean): string[] | Promise<string[]>;
  frames(attempt: number): string[];
  readonly msgId: string;
  /** Give up finding a server at this time (ms since epoch). */
  readonly deadline: number;
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
  readonly #waiters: ReplyWaiters;
  readonly #peers = new Map<string, Peer>();
  readonly #roundRobin = new Map<string, number>();
  readonly #routes = new LocalRoutes();
  readonly #registrations: Registrations;
  readonly #sweeper: NodeJS.Timeout;
  readonly #ackSweeper: NodeJS.Timeout;
  #server: Promise<ServerSocket> | undefined;
  #closed = false;

  constructor(ctx: DriverContext, opts: ZmqOptions, matchmaker: Matchmaker) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.#matchmaker = matchmaker;
    this.#waiters = new ReplyWaiters(ctx.logger, ctx.remoteErrors);
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
        if (pending) (peer.pending.delete(response.msgId), pending.ack());
        return;
      case MessageType.NACK:
        if (pending) (peer.pending.delete(response.msgId), pending.fail(response.reason, false));
        return;
      case MessageType.HEARTBEAT:
        if (pending) (peer.pending.delete(response.msgId), pending.ack());
        this.#waiters.onReply({ _msg_id: response.msgId, result: null, failure: null, ending: false });
        return;
      case MessageType.REPLY:
        if (pending) (peer.pending.delete(response.msgId), pending.ack());
        this.#waiters.onReply({ _msg_id: response.msgId, result: response.result, failure: response.failure, ending: true });
        return;
    }
  }

  /** Picks the next address round-robin, preferring ones with a live connection. */
  #choose(key: string, candidates: readonly string[]): string {
    const start = this.#roundRobin.get(key) ?? 0;
    this.#roundRobin.set(key, start + 1);
    for (let i = 0; i < candidates.length; i++) {
      const address = candidates[(start + i) % candidates.length]!;
      if (this.#peers.get(address)?.connected) return address;
    }
    return candidates[start % candidates.length]!;
  }

  /** One attempt: send to `address` and wait for its ACK (or NACK, disconnect, or the ACK deadline, see the sweep). */
  #attempt(address: string, frames: string[], msgId: string, ackTimeoutMs: number, fireAndForget: boolean): Promise<AttemptResult> {
    const peer = this.#peer(address);
    const couldNotSend = (err: Error): AttemptResult => ({ outcome: 'failed', reason: `could not send to ${address}: ${err.message}` });
    if (fireAndForget) return peer.send(frames).then(() => ACKED, couldNotSend);
    return new Promise((resolve) => {
      this.#sendAwaitingAck(peer, msgId, frames, {
        deadline: Date.now() + ackTimeoutMs,
        ack: () => resolve(ACKED),
        fail: (reason, retryable) => resolve({ outcome: retryable ? 'failed' : 'refused', reason }),
      });
    });
  }

  /** Queues `frames` to `peer` with `entry` waiting for the ACK; a send that cannot go out fails the entry. */
  #sendAwaitingAck(peer: Peer, msgId: string, frames: string[], entry: PendingDelivery): void {
    peer.pending.set(msgId, entry);
    peer.push(frames, (err: Error) => {
      if (peer.pending.get(msgId) !== entry) return;
      peer.pending.delete(msgId);
      entry.fail(`could not send to ${peer.address}: ${err.message}`, true);
    });
  }

  /**
   * Delivers one message to one process among `plan.hosts()`: round-robin, skipping processes that refuse
   * it, re-sending (with a growing acknowledgement timeout) after a loss, waiting for a server to appear
   * until `plan.deadline`. Throws `MessageDeliveryFailure` (or `MessagingTimeout` when nobody serves it).
   */
  async #deliver(plan: DeliveryPlan): Promise<void> {
    const refused = new Set<string>();
    let failures = 0;
    const status = plan.status ?? { reason: '' };
    status.reason = 'no server is registered';
    let fresh = false;
    for (;;) {
      if (this.#closed) throw new TransportDriverError('The transport was cleaned up');
      if (plan.abandoned?.()) return;
      const found = plan.hosts(fresh);
      const hosts = Array.isArray(found) ? found : await found;
      const candidates = refused.size === 0 ? hosts : hosts.filter((h) => !refused.has(h));
      if (candidates.length === 0) {
        const now = Date.now();
        if (now >= plan.deadline) throw new MessagingTimeout(`No live server for ${plan.what} (${status.reason})`);
        await sleep(Math.min(this.#opts.wait_timeout, plan.deadline - now));
        refused.clear();
        fresh = true;
        continue;
      }
      const address = this.#choose(plan.what, candidates);
      const ackTimeout = this.#opts.rpc_ack_timeout_base * 1000 * this.#opts.rpc_ack_timeout_multiplier ** Math.min(failures, 8);
      const { outcome, reason } = await this.#attempt(address, plan.frames(failures), plan.msgId, ackTimeout, plan.fireAndForget === true);
      if (outcome === 'ack') return;
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

  #retries(retry: number | null | undefined): number {
    return retry != null && retry >= 0 ? retry : this.#opts.rpc_retry_attempts;
  }

  async send(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<unknown> {
    if (this.#closed) throw new TransportDriverError('The transport was cleaned up');
    const topic = String(target.topic);
    if (target.fanout) return this.#fanout(target, ctxt, request, options);
    const msgId = randomUUID();
    const server = target.server ?? '';
    const what = server ? `topic ${topic}, server ${server}` : `topic ${topic}`;
    const type: RequestType = options.waitForReply ? MessageType.CALL : MessageType.CAST;
    const frames = encodeRequest(type, msgId, topic, server, ctxt, request, options.waitForReply ? options.callMonitorTimeout : null);
    const hosts = (fresh: boolean) => this.#hosts.lookup(topic, target.server, LISTENER_TYPE.rpc, false, fresh);
    if (!options.waitForReply) {
      const noWait = options.retry === 0 ? 0 : this.#opts.check_timeout;
      await this.#deliver({ what, hosts, frames: () => frames, msgId, deadline: Date.now() + noWait, retries: this.#retries(options.retry), fireAndForget: !this.#opts.rpc_use_acks });
      return undefined;
    }
    const timeoutMs = (options.timeout ?? 60) * 1000;
    const deadline = Date.now() + timeoutMs;
    // A call keeps looking for a server until its own timeout; if none took the request by then, the
    // timeout says so (once delivered, silence is the usual MessagingTimeout).
    const status = { reason: 'no server is registered' };
    let delivered = false;
    const reply = this.#waiters.wait(msgId, options, () => (delivered ? undefined : `No live server for ${what} took the call within ${timeoutMs / 1000} s (${status.reason})`));
    const slowPath = () => {
      this.#deliver({ what, hosts, frames: () => frames, msgId, deadline, retries: this.#retries(options.retry), abandoned: () => !this.#waiters.has(msgId), status })
        .then(() => (delivered = true), (err: Error) => this.#waiters.reject(msgId, err));
    };
    // Fast path: a known server with a live connection takes the request with no retry machinery;
    // anything else (no cached hosts, a refusal, a lost connection, no ACK) falls back to #deliver.
    const cached = hosts(false);
    const address = Array.isArray(cached) && cached.length > 0 ? this.#choose(what, cached) : undefined;
    const peer = address !== undefined ? this.#peers.get(address) : undefined;
    if (!peer?.connected) {
      slowPath();
      return reply;
    }
    this.#sendAwaitingAck(peer, msgId, frames, {
      deadline: Date.now() + this.#opts.rpc_ack_timeout_base * 1000,
      ack: () => (delivered = true),
      fail: (reason) => {
        status.reason = reason;
        if (this.#waiters.has(msgId)) slowPath();
      },
    });
    return reply;
  }

  async #fanout(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<void> {
    const topic = String(target.topic);
    const hosts = await this.#hosts.lookup(topic, undefined, LISTENER_TYPE.rpc, true, true);
    if (hosts.length === 0) {
      this.#ctx.logger.debug(`Fanout to ${topic}: no server is registered`);
      return;
    }
    const results = await Promise.allSettled(hosts.map((address) => {
      const msgId = randomUUID();
      const frames = encodeRequest(MessageType.CAST_FANOUT, msgId, topic, '', ctxt, request);
      return this.#deliver({ what: `fanout ${topic} at ${address}`, hosts: async () => [address], frames: () => frames, msgId, deadline: Date.now(), retries: this.#retries(options.retry), fireAndForget: !this.#opts.rpc_use_acks });
    }));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const f of failed) this.#ctx.logger.warn(`Fanout to ${topic}: ${(f.reason as Error).message}`);
    if (failed.length === hosts.length) throw new MessageDeliveryFailure(`Fanout to ${topic} reached none of its ${hosts.length} server(s): ${(failed[0]!.reason as Error).message}`);
  }

  async sendNotification(target: Target, ctxt: Context, message: NotificationMessage, _version: 1 | 2, retry?: number | null): Promise<void> {
    if (this.#closed) throw new TransportDriverError('The transport was cleaned up');
    const topic = String(target.topic);
    const members = async (fresh: boolean) => this.#hosts.lookup(topic, undefined, LISTENER_TYPE.notify, false, fresh);
    const deadline = Date.now() + (retry === 0 ? 0 : this.#opts.check_timeout);
    let found = await members(false);
    while (found.length === 0 && Date.now() < deadline) {
      await sleep(Math.min(this.#opts.wait_timeout, deadline - Date.now()));
      found = await members(true);
    }
    if (found.length === 0) throw new MessageDeliveryFailure(`No listener for notifications on ${topic}`);
    const pools = new Set(found.map((m) => parseNotifyMember(m).pool));
    await Promise.all([...pools].map(async (pool) => {
      const msgId = randomUUID();
      const frames = encodeRequest(MessageType.NOTIFY, msgId, topic, pool, ctxt, message);
      const hosts = async (fresh: boolean) => (await members(fresh)).map(parseNotifyMember).filter((m) => m.pool === pool).map((m) => m.address);
      await this.#deliver({ what: `notifications ${topic}${pool ? ` (pool ${pool})` : ''}`, hosts, frames: () => frames, msgId, deadline, retries: this.#retries(retry), fireAndForget: !this.#opts.rpc_use_acks });
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
    let onMessage: ((m: IncomingMessage) => void | Promise<void>) | undefined;
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
          void Promise.resolve(onMessage(incoming(request, identity, server, local))).catch((err: unknown) => this.#ctx.logger.error('Message handler failed', { err }));
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
    return {
      ctxt: { ...request.context, client_timeout: request.callMonitorTimeout },
      message: request.request,
      clientTimeout: request.callMonitorTimeout,
      reply: async (r: Reply) => {
        if (!isCall) return;
        const frames = r.failure !== undefined ? encodeReply(msgId, { failure: this.#ctx.remoteErrors.serialize(r.failure) }) : encodeReply(msgId, { result: r.result });
        await server.answer(identity, msgId, frames, `the reply to ${msgId}`);
      },
      heartbeat: async () => {
        if (isCall) await server.answer(identity, msgId, encodeHeartbeat(msgId), `a heartbeat for ${msgId}`);
      },
      acknowledge: async () => {},
      requeue: async () => {},
    };
  }

  #incomingNotification(request: RequestFrames, identity: Buffer, _server: ServerSocket, endpoint: LocalEndpoint): IncomingMessage {
    return {
      ctxt: request.context,
      message: request.request,
      clientTimeout: null,
      reply: async () => {},
      heartbeat: async () => {},
      acknowledge: async () => {},
      // The message is already in this process: requeue hands it to a member of the same pool here.
      requeue: async () => {
        setImmediate(() => this.#routes.sibling(endpoint).deliver(request, identity));
      },
    };
  }

  async cleanup(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweeper);
    clearInterval(this.#ackSweeper);
    this.#waiters.rejectAll(new TransportDriverError('The transport was cleaned up while a call was waiting'));
    await this.#registrations.close();
    const server = await this.#server?.catch(() => undefined);
    server?.close();
    for (const peer of this.#peers.values()) peer.close();
    this.#peers.clear();
    await this.#matchmaker.close();
  }
}
