import { randomUUID } from 'node:crypto';
import type { Delivery, Message } from 'rhea';
import {
  MalformedMessage,
  MessageDeliveryFailure,
  MessagingTimeout,
  ReplyWaiters,
  TransportDriverError,
  type Context,
  type Driver,
  type DriverContext,
  type IncomingMessage,
  type Listener,
  type NotificationListenOptions,
  type NotificationMessage,
  type Reply,
  type ResolvedOptions,
  type RpcRequest,
  type SendOptions,
  type Target,
} from '@oslo-messaging/core';
import { Addresser, chooseMode } from './addressing.js';
import { LinkManager, type ReceiverHandle, type SendOutcome } from './link-manager.js';
import { decodeReply, decodeRequest, replyBody, requestBody } from './messages.js';
import type { AMQP1_OPTIONS } from './options.js';

type Opts = ResolvedOptions<typeof AMQP1_OPTIONS>;
const hex = () => randomUUID().replaceAll('-', '');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** How a send should behave on the way to the peer's disposition. */
interface SendPlan {
  readonly what: string;
  readonly settled: boolean;
  /** Give up at this time (ms since epoch). */
  readonly deadline: number;
  /** The caller gave a timeout: expiry is MessagingTimeout, else MessageDeliveryFailure. */
  readonly timed: boolean;
  /** Re-sends after a release or a lost link: null/negative = until the deadline. */
  readonly retry: number | null | undefined;
}

/**
 * oslo.messaging's AMQP 1.0 driver over rhea: the same addresses, message bodies, reply correlation,
 * heartbeats and settlement rules as Python's `amqp` driver (Proton + pyngus), so the two interoperate
 * through an AMQP 1.0 broker or router.
 */
export class Amqp1Driver implements Driver {
  readonly #ctx: DriverContext;
  readonly #opts: Opts;
  readonly #links: LinkManager;
  readonly #waiters: ReplyWaiters;
  readonly #preSettled: Set<string>;
  #addresser: Promise<Addresser> | undefined;
  /** The addresser once known (the hot path skips the promise and its deadline timer). */
  #resolvedAddresser: Addresser | undefined;
  #replies: Promise<ReceiverHandle> | undefined;
  readonly #receivers = new Set<ReceiverHandle>();
  /** Started servers and listeners, to subscribe again when the addressing mode changes. */
  readonly #resubscribers = new Set<(addresser: Addresser) => void>();
  #closed = false;

  constructor(ctx: DriverContext, opts: Opts) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.#preSettled = new Set(opts.pre_settled);
    for (const p of this.#preSettled) if (!['rpc-call', 'rpc-reply', 'rpc-cast', 'notify'].includes(p)) ctx.logger.warn(`Ignoring unknown pre_settled value "${p}"`);
    this.#links = new LinkManager(ctx.url, opts, ctx.logger);
    this.#waiters = new ReplyWaiters(ctx.logger, ctx.remoteErrors);
    this.#links.onOpen((properties) => this.#onConnectionOpen(properties));
  }

  /** The addressing of this connection, decided from the peer's Open properties (oslo's AddresserFactory). */
  addresser(): Promise<Addresser> {
    // #onConnectionOpen has set it by the time the first open resolves.
    this.#addresser ??= this.#links.opened().then(() => this.#resolvedAddresser!);
    return this.#addresser;
  }

  /**
   * Decides the addressing at every connection open, as oslo does: a reconnect may land on another kind
   * of broker (a URL listing a qpidd and a RabbitMQ, say). When the mode changes, servers and listeners
   * subscribe again under the new addresses and the reply link is replaced (calls in flight then time out).
   */
  #onConnectionOpen(properties: Record<string, unknown>): void {
    const mode = chooseMode(this.#opts.addressing_mode, properties['product']);
    const previous = this.#resolvedAddresser;
    if (previous?.mode === mode) return;
    const addresser = new Addresser(mode, {
      defaultExchange: this.#ctx.defaultExchange,
      vhost: this.#opts.pseudo_vhost ? this.#ctx.url.virtualHost || undefined : undefined,
      serverPrefix: this.#opts.server_request_prefix,
      broadcastPrefix: this.#opts.broadcast_prefix,
      groupPrefix: this.#opts.group_request_prefix,
      rpcPrefix: this.#opts.rpc_address_prefix,
      notifyPrefix: this.#opts.notify_address_prefix,
      unicastTag: this.#opts.unicast_address,
      multicastTag: this.#opts.multicast_address,
      anycastTag: this.#opts.anycast_address,
      rpcExchange: this.#opts.default_rpc_exchange,
      notifyExchange: this.#opts.default_notification_exchange,
    });
    this.#resolvedAddresser = addresser;
    this.#addresser = Promise.resolve(addresser);
    if (!previous) {
      this.#ctx.logger.debug(`AMQP 1.0 addressing mode: ${mode}`);
      return;
    }
    this.#ctx.logger.warn(`The AMQP 1.0 peer now calls for ${mode} addressing (was ${previous.mode}): subscribing again`);
    const replies = this.#replies;
    this.#replies = undefined;
    void replies?.then((h) => (h.close(), this.#receivers.delete(h)), () => undefined);
    for (const resubscribe of this.#resubscribers) resubscribe(addresser);
  }

  /**
   * Sends until the peer accepts: a release (or a link lost mid-send) is re-sent after `link_retry_delay`
   * while the retry budget and deadline allow; a rejection is `MessageDeliveryFailure`.
   */
  async #send(address: string, message: Message, plan: SendPlan): Promise<void> {
    let retries = 0;
    for (;;) {
      if (this.#closed) throw new TransportDriverError('The transport was cleaned up');
      if (!this.#links.up) await Promise.race([this.#links.whenUp(), sleep(plan.deadline - Date.now())]);
      const outcome: SendOutcome = Date.now() >= plan.deadline ? 'lost' : await this.#links.send(address, message, plan.settled, plan.deadline);
      if (outcome === 'accepted') return;
      if (outcome === 'rejected' || outcome === 'undeliverable') throw new MessageDeliveryFailure(`${plan.what} to ${address} was ${outcome === 'rejected' ? 'rejected' : 'refused as undeliverable'} by the peer`);
      const budgetLeft = plan.retry == null || plan.retry < 0 || retries < plan.retry;
      const now = Date.now();
      if (!budgetLeft || now >= plan.deadline) {
        const why = `${plan.what} to ${address} failed: ${now >= plan.deadline ? 'timed out' : `${outcome} after ${retries + 1} attempt(s)`}`;
        throw plan.timed && now >= plan.deadline ? new MessagingTimeout(why) : new MessageDeliveryFailure(why);
      }
      retries++;
      // A released message waits link_retry_delay (oslo); a lost link waits for the reconnect instead.
      if (outcome === 'released' || outcome === 'modified') await sleep(Math.min(this.#opts.link_retry_delay * 1000, plan.deadline - now));
    }
  }

  /** The addresser, or the send's failure when the connection does not come up before its deadline. */
  async #addresserBefore(deadline: number, timed: boolean, what: string): Promise<Addresser> {
    if (this.#resolvedAddresser) return this.#resolvedAddresser;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const why = `${what} failed: no connection to the messaging service before its deadline`;
        reject(timed ? new MessagingTimeout(why) : new MessageDeliveryFailure(why));
      }, Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([this.addresser(), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- client side -------------------------------------------------------------------------

  /** The reply link: a dynamic source (oslo), or on RabbitMQ a private queue bound to amq.direct. */
  #replyLink(): Promise<ReceiverHandle> {
    this.#replies ??= (async () => {
      const addresser = await this.addresser();
      const onReply = (message: Message, delivery: Delivery) => this.#onReply(message, delivery);
      const handle = addresser.mode === 'rabbitmq'
        ? this.#links.receive({ address: `/exchange/amq.direct/reply.${hex()}` }, this.#opts.reply_link_credit, onReply)
        : this.#links.receive({ dynamic: true }, this.#opts.reply_link_credit, onReply, 'rpc-response');
      this.#receivers.add(handle);
      await handle.attached;
      return handle;
    })();
    this.#replies.catch(() => (this.#replies = undefined));
    return this.#replies;
  }

  #onReply(message: Message, delivery: Delivery): void {
    const msgId = message.correlation_id === undefined ? undefined : String(message.correlation_id);
    if (msgId === undefined || !this.#waiters.has(msgId)) {
      this.#ctx.logger.warn(`Can't find receiver for response msg id=${String(msgId)}, dropping!`);
      delivery.modified({ delivery_failed: true, undeliverable_here: true });
      return;
    }
    let reply: ReturnType<typeof decodeReply>;
    try {
      reply = decodeReply(message.body);
    } catch (err) {
      this.#ctx.logger.warn('Dropping a malformed reply', { err });
      delivery.reject({ condition: 'amqp:decode-error', description: (err as Error).message });
      return;
    }
    delivery.accept();
    if (reply.heartbeat) this.#waiters.onReply({ _msg_id: msgId, result: null, failure: null, ending: false });
    else this.#waiters.onReply({ _msg_id: msgId, result: reply.result, failure: reply.failure, ending: true });
  }

  async send(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<unknown> {
    if (this.#closed) throw new TransportDriverError('The transport was cleaned up');
    const timeout = options.timeout;
    const deadline = Date.now() + (timeout ? timeout * 1000 : this.#opts.default_send_timeout * 1000);
    const addresser = await this.#addresserBefore(deadline, !!timeout, options.waitForReply ? 'RPC call' : 'RPC cast');
    const address = addresser.resolve({ exchange: target.exchange, topic: String(target.topic), server: target.server, fanout: target.fanout }, 'rpc');
    const message: Message = { body: requestBody({ ...request }, ctxt, { callMonitorTimeout: options.waitForReply ? options.callMonitorTimeout : null }) };
    if (timeout) message.ttl = Math.round(timeout * 1000);
    if (!options.waitForReply) {
      await this.#send(address, message, { what: 'RPC cast', settled: this.#preSettled.has('rpc-cast'), deadline, timed: !!timeout, retry: options.retry });
      return undefined;
    }
    const replies = await this.#replyLink();
    const msgId = hex();
    message.message_id = msgId;
    message.reply_to = replies.address();
    const reply = this.#waiters.wait(msgId, options);
    this.#send(address, message, { what: 'RPC call', settled: this.#preSettled.has('rpc-call'), deadline, timed: !!timeout, retry: options.retry }).catch((err: Error) => this.#waiters.reject(msgId, err));
    return reply;
  }

  async sendNotification(target: Target, ctxt: Context, message: NotificationMessage, version: 1 | 2, retry?: number | null): Promise<void> {
    if (this.#closed) throw new TransportDriverError('The transport was cleaned up');
    const deadline = Date.now() + this.#opts.default_notify_timeout * 1000;
    // Like oslo, notifications ignore the target's exchange.
    const address = (await this.#addresserBefore(deadline, false, 'Notification')).anycast({ topic: String(target.topic) }, 'notify');
    const body = requestBody({ ...message }, ctxt, { envelope: version === 2 });
    await this.#send(address, { body }, { what: 'Notification', settled: this.#preSettled.has('notify'), deadline, timed: false, retry });
  }

  // ---- server side -------------------------------------------------------------------------

  /** A server or listener on the addresses `addressesOf` gives for the current addressing mode. */
  async #listener(addressesOf: (addresser: Addresser) => string[], credit: number, incoming: (message: Message, delivery: Delivery) => IncomingMessage): Promise<Listener> {
    await this.addresser(); // waits for the connection, as oslo's listen does
    let onMessage: ((m: IncomingMessage) => void | Promise<void>) | undefined;
    let handles: ReceiverHandle[] = [];
    const deliver = (message: Message, delivery: Delivery) => {
      let m: IncomingMessage;
      try {
        m = incoming(message, delivery);
      } catch (err) {
        this.#ctx.logger.error('Rejecting a malformed message', { err });
        delivery.reject({ condition: 'amqp:decode-error', description: err instanceof MalformedMessage ? err.message : 'malformed message' });
        return;
      }
      if (!onMessage) return void delivery.release();
      void Promise.resolve(onMessage(m)).catch((err: unknown) => this.#ctx.logger.error('Message handler failed', { err }));
    };
    const unsubscribe = () => {
      for (const h of handles) (h.close(), this.#receivers.delete(h));
      handles = [];
    };
    const subscribe = (addresser: Addresser) => {
      handles = addressesOf(addresser).map((a) => this.#links.receive({ address: a }, credit, deliver));
      for (const h of handles) this.#receivers.add(h);
      return Promise.all(handles.map((h) => h.attached));
    };
    const resubscribe = (addresser: Addresser) => {
      unsubscribe();
      subscribe(addresser).catch((err: unknown) => this.#ctx.logger.error('Could not subscribe again under the new addressing mode', { err }));
    };
    const stop = async () => {
      this.#resubscribers.delete(resubscribe);
      unsubscribe();
      onMessage = undefined;
    };
    return {
      start: async (handler) => {
        onMessage = handler;
        if (handles.length > 0) return;
        this.#resubscribers.add(resubscribe);
        await subscribe(await this.addresser());
      },
      stop,
      cleanup: stop,
    };
  }

  async listen(target: Target): Promise<Listener> {
    const t = { exchange: target.exchange, topic: String(target.topic), server: target.server };
    // oslo's server subscribes three addresses: its own (unicast), the fanout (multicast) and the topic (anycast).
    return this.#listener((a) => [a.unicast(t, 'rpc'), a.multicast(t, 'rpc'), a.anycast(t, 'rpc')], this.#opts.rpc_server_credit, (message, delivery) => this.#incomingRpc(message, delivery));
  }

  async listenForNotifications(targetsAndPriorities: ReadonlyArray<readonly [Target, string]>, options: NotificationListenOptions): Promise<Listener> {
    if (options.pool) throw new TransportDriverError('Notification listener pools are not supported by the AMQP 1.0 driver (as in oslo.messaging)');
    const addressesOf = (a: Addresser) => [...new Set(targetsAndPriorities.map(([t, priority]) => a.anycast({ topic: `${String(t.topic)}.${priority}` }, 'notify')))];
    return this.#listener(addressesOf, this.#opts.notify_server_credit, (message, delivery) => this.#incomingNotification(message, delivery));
  }

  #incomingRpc(message: Message, delivery: Delivery): IncomingMessage {
    const request = decodeRequest(message.body);
    if (typeof request.message['method'] !== 'string') throw new MalformedMessage('RPC request has no method');
    const replyTo = message.reply_to;
    const correlationId = message.message_id;
    const clientTimeout = request.callMonitorTimeout;
    const reply = async (m: Message, what: string, settled: boolean, retry: number) => {
      if (!replyTo) return;
      m.to = replyTo;
      m.correlation_id = correlationId;
      try {
        await this.#send(replyTo, m, { what, settled, deadline: Date.now() + this.#opts.default_reply_timeout * 1000, timed: false, retry });
      } catch (err) {
        this.#ctx.logger.warn(`Could not send the ${what.toLowerCase()} to ${replyTo}`, { err });
      }
    };
    return {
      ctxt: { ...request.context, client_timeout: clientTimeout },
      message: request.message,
      clientTimeout,
      reply: (r: Reply) => reply({ body: replyBody(r.failure !== undefined ? { failure: this.#ctx.remoteErrors.serialize(r.failure) } : { result: r.result }) }, 'RPC reply', this.#preSettled.has('rpc-reply'), this.#opts.default_reply_retry),
      // Worst effort, as oslo: an empty (null) body, pre-settled, no retry, and a TTL so stale ones do not pile up.
      heartbeat: () => reply({ body: null, ...(clientTimeout ? { ttl: Math.round(clientTimeout * 1000) } : {}) }, 'RPC heartbeat', true, 0),
      acknowledge: async () => delivery.accept(),
      requeue: async () => delivery.release(),
    };
  }

  #incomingNotification(message: Message, delivery: Delivery): IncomingMessage {
    const request = decodeRequest(message.body);
    return {
      ctxt: request.context,
      message: request.message,
      clientTimeout: null,
      reply: async () => {},
      heartbeat: async () => {},
      acknowledge: async () => delivery.accept(),
      requeue: async () => delivery.release(),
    };
  }

  async cleanup(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiters.rejectAll(new TransportDriverError('The transport was cleaned up while a call was waiting'));
    this.#resubscribers.clear();
    for (const h of this.#receivers) h.close();
    this.#receivers.clear();
    await this.#links.close();
  }
}
