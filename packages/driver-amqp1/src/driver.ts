import type { Delivery, Message } from 'rhea';
import {
  MalformedMessage,
  MessageDeliveryFailure,
  MessagingTimeout,
  TransportDriverError,
  type Context,
  type Target,
} from '@oslo-messaging/core';
import {
  uuidHex,
  type Driver,
  type DriverContext,
  type IncomingMessage,
  type Listener,
  type MessageSink,
  type NotificationListenOptions,
  type NotificationMessage,
  type NotificationSendOptions,
  type Reply,
  type ResolvedOptions,
  type RpcRequest,
  type SendOptions,
} from '@oslo-messaging/core/spi';
import { Addresser, chooseMode } from './addressing.js';
import { setMaxListeners } from 'node:events';
import {
  ACCEPTED,
  LinkManager,
  onAbort,
  signalOf,
  timerFor,
  type ReceiverHandle,
  type SendOutcome,
  type SignalSource,
} from './link-manager.js';
import { decodeReply, decodeRequest, replyBody, requestBody } from './messages.js';
import type { AMQP1_OPTIONS } from './options.js';

type Opts = ResolvedOptions<typeof AMQP1_OPTIONS>;
/** Longest a listener's start() waits for its links to attach (they go on attaching after that). */
const ATTACH_WAIT_MS = 5000;
const hex = uuidHex;
const DONE: Promise<void> = Promise.resolve();
/** Sleeps `ms`, or less when `signal` aborts. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = timerFor(() => (stop(), resolve()), ms);
    const stop = onAbort(signal, () => (clearTimeout(timer), resolve()));
  });

/** How a send should behave on the way to the peer's disposition. */
interface SendPlan {
  readonly what: string;
  readonly settled: boolean;
  /** Give up at this time (ms since epoch); Infinity: never (a cast or notification retried forever). */
  readonly deadline: number;
  /** The caller gave a timeout: expiry is MessagingTimeout, else MessageDeliveryFailure. */
  readonly timed: boolean;
  /**
   * Retries: re-sends after a release or a lost link, and connection attempts that fail while the
   * message waits for one. null/negative = until the deadline (or forever without one).
   */
  readonly retry: number | null | undefined;
  /**
   * The caller gave up (core: deadline passed or transport cleaned up): stop and drop the message.
   * A function is read only when the send has to wait (core creates a call's signal on first read).
   */
  readonly signal?: SignalSource;
  /** Retries used so far (shared by the steps of one send: connecting, then sending). */
  retries: number;
}

/** A send given up for good: `signal.reason` when it is an error. */
const abandoned = (signal: AbortSignal, what: string): Error =>
  signal.reason instanceof Error ? signal.reason : new MessageDeliveryFailure(`${what} abandoned: the caller gave up`);

/**
 * oslo.messaging's AMQP 1.0 driver over rhea: the same addresses, message bodies, reply correlation,
 * heartbeats and settlement rules as Python's `amqp` driver (Proton + pyngus), so the two interoperate
 * through an AMQP 1.0 broker or router.
 */
export class Amqp1Driver implements Driver {
  readonly #ctx: DriverContext;
  readonly #opts: Opts;
  readonly #links: LinkManager;
  readonly #preSettled: Set<string>;
  #addresser: Promise<Addresser> | undefined;
  /** The addresser once known (the hot path skips the promise and its deadline timer). */
  #resolvedAddresser: Addresser | undefined;
  #replies: Promise<ReceiverHandle> | undefined;
  /** The reply link once attached (the hot path skips the promise and its deadline race). */
  #replyHandle: ReceiverHandle | undefined;
  readonly #receivers = new Set<ReceiverHandle>();
  /** Started servers and listeners, to subscribe again when the addressing mode changes. */
  readonly #resubscribers = new Set<(addresser: Addresser) => void>();
  #closed = false;
  /** Waits to end at cleanup (a Set, not an AbortSignal: any number of waiters without listener warnings). */
  readonly #onCleanup = new Set<() => void>();
  readonly #addresses = new WeakMap<Target, { readonly addresser: Addresser; readonly address: string }>();

  constructor(ctx: DriverContext, opts: Opts) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.#preSettled = new Set(opts.pre_settled);
    for (const p of this.#preSettled)
      if (!['rpc-call', 'rpc-reply', 'rpc-cast', 'notify'].includes(p))
        ctx.logger.warn(`Ignoring unknown pre_settled value "${p}"`);
    this.#links = new LinkManager(ctx.url, opts, ctx.logger);
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
    this.#ctx.logger.warn(
      `The AMQP 1.0 peer now calls for ${mode} addressing (was ${previous.mode}): subscribing again`,
    );
    const replies = this.#replies;
    this.#replies = undefined;
    this.#replyHandle = undefined;
    void replies?.then(
      (h) => (h.close(), this.#receivers.delete(h)),
      () => undefined,
    );
    for (const resubscribe of this.#resubscribers) resubscribe(addresser);
  }

  /** Why a send stops now (cleaned up, abandoned by the caller, past its deadline), or undefined. */
  #stopReason(plan: SendPlan, where: string): Error | undefined {
    if (this.#closed) return new TransportDriverError(`${plan.what}${where} abandoned: the transport was cleaned up`);
    const signal = signalOf(plan.signal);
    if (signal?.aborted) return abandoned(signal, `${plan.what}${where}`);
    if (Date.now() >= plan.deadline) {
      const why = `${plan.what}${where} failed: timed out`;
      return plan.timed ? new MessagingTimeout(why) : new MessageDeliveryFailure(why);
    }
    return undefined;
  }

  #budgetLeft(plan: SendPlan): boolean {
    return plan.retry == null || plan.retry < 0 || plan.retries < plan.retry;
  }

  /**
   * Waits until the connection is up, within the send's deadline, signal and retry budget (each
   * failed connection attempt is a retry, as each reconnect is in oslo's other drivers).
   */
  async #connected(plan: SendPlan, where: string): Promise<void> {
    for (;;) {
      const stop = this.#stopReason(plan, where);
      if (stop) throw stop;
      const why = await this.#links.whenUp(signalOf(plan.signal), plan.deadline);
      if (why === 'up') return;
      if (why === 'attempt-failed') {
        if (!this.#budgetLeft(plan))
          throw new MessageDeliveryFailure(
            `${plan.what}${where} failed: no connection to the messaging service after ${plan.retries + 1} attempt(s)`,
          );
        plan.retries++;
      }
    }
  }

  /**
   * Sends until the peer accepts: a release (or a link lost mid-send) is re-sent after `link_retry_delay`
   * while the retry budget and deadline allow; a rejection is `MessageDeliveryFailure`. Stops at once
   * (the message dropped if not written yet) when the caller's signal aborts or the transport is cleaned up.
   */
  #send(address: string, message: Message, plan: SendPlan): Promise<void> {
    // The fast path (connected, credit, accepted or pre-settled) runs no async function per message.
    if (!this.#links.up) return this.#sendUntilAccepted(address, message, plan, undefined);
    const sent = this.#links.send(address, message, plan.settled, plan.deadline, plan.signal);
    if (sent === ACCEPTED) return DONE;
    return sent.then((outcome) =>
      outcome === 'accepted' ? undefined : this.#sendUntilAccepted(address, message, plan, outcome),
    );
  }

  /** The loop of {@link Amqp1Driver.#send}, from the outcome of a first attempt if there was one. */
  async #sendUntilAccepted(
    address: string,
    message: Message,
    plan: SendPlan,
    first: SendOutcome | undefined,
  ): Promise<void> {
    const where = ` to ${address}`;
    let outcome = first;
    for (;;) {
      if (outcome === undefined) {
        if (!this.#links.up) await this.#connected(plan, where);
        outcome = await this.#links.send(address, message, plan.settled, plan.deadline, plan.signal);
      }
      if (outcome === 'accepted') return;
      if (outcome === 'rejected' || outcome === 'undeliverable')
        throw new MessageDeliveryFailure(
          `${plan.what}${where} was ${outcome === 'rejected' ? 'rejected' : 'refused as undeliverable'} by the peer`,
        );
      const stop = this.#stopReason(plan, where);
      if (stop) throw stop;
      if (!this.#budgetLeft(plan))
        throw new MessageDeliveryFailure(
          `${plan.what}${where} failed: ${outcome} after ${plan.retries + 1} attempt(s)`,
        );
      plan.retries++;
      // A released message waits link_retry_delay (oslo); a lost link waits for the reconnect instead.
      if (outcome === 'released' || outcome === 'modified')
        await sleep(Math.min(this.#opts.link_retry_delay * 1000, plan.deadline - Date.now()), signalOf(plan.signal));
      outcome = undefined;
    }
  }

  /**
   * `promise`, or the send's failure when its deadline passes, its signal aborts or the transport is
   * cleaned up first (`promise` is left to settle on its own, handled).
   */
  #before<T>(promise: Promise<T>, plan: SendPlan, where: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (f: () => void) => {
        clearTimeout(timer);
        stopListening();
        this.#onCleanup.delete(stopNow);
        f();
      };
      const stopNow = () =>
        finish(() =>
          reject(this.#stopReason(plan, where) ?? new TransportDriverError(`${plan.what}${where} abandoned`)),
        );
      const timer = timerFor(stopNow, plan.deadline - Date.now());
      const stopListening = onAbort(signalOf(plan.signal), stopNow);
      this.#onCleanup.add(stopNow);
      promise.then(
        (v) => finish(() => resolve(v)),
        (e: unknown) => finish(() => reject(e)),
      );
      if (this.#closed) stopNow();
    });
  }

  /** The addresser, once connected within the send's deadline, signal and retry budget. */
  async #addresserFor(plan: SendPlan): Promise<Addresser> {
    if (this.#resolvedAddresser) return this.#resolvedAddresser;
    await this.#connected(plan, '');
    // #onConnectionOpen has set it before waiters for the connection resume.
    return this.#resolvedAddresser!;
  }

  /** The deadline of a send: the caller's, its timeout, `fallbackSeconds` with a retry limit, else none. */
  #deadlineOf(
    options: { deadline?: number | undefined; timeout?: number | undefined; retry?: number | null | undefined },
    fallbackSeconds: number,
    bounded: boolean,
  ): number {
    if (options.deadline !== undefined) return options.deadline;
    if (options.timeout) return Date.now() + options.timeout * 1000;
    const finiteRetry = options.retry != null && options.retry >= 0;
    return bounded || finiteRetry ? Date.now() + fallbackSeconds * 1000 : Infinity;
  }

  // ---- client side -------------------------------------------------------------------------

  /** The reply link: a dynamic source (oslo), or on RabbitMQ a private queue bound to amq.direct. */
  #replyLink(): Promise<ReceiverHandle> {
    if (this.#replies) return this.#replies;
    let pending: Promise<ReceiverHandle> | undefined;
    // eslint-disable-next-line prefer-const -- assigned apart: TypeScript reads an IIFE's body (which reads it) as run inline
    pending = (async () => {
      const addresser = await this.addresser();
      const onReply = (message: Message, delivery: Delivery) => this.#onReply(message, delivery);
      const handle =
        addresser.mode === 'rabbitmq'
          ? this.#links.receive(
              { address: `/exchange/amq.direct/reply.${hex()}` },
              this.#opts.reply_link_credit,
              onReply,
            )
          : this.#links.receive({ dynamic: true }, this.#opts.reply_link_credit, onReply, 'rpc-response');
      this.#receivers.add(handle);
      await handle.attached;
      if (this.#replies === pending) this.#replyHandle = handle;
      return handle;
    })();
    this.#replies = pending;
    pending.catch(() => this.#replies === pending && (this.#replies = undefined));
    return pending;
  }

  #onReply(message: Message, delivery: Delivery): void {
    const msgId = message.correlation_id === undefined ? undefined : String(message.correlation_id);
    if (msgId === undefined || !this.#ctx.replies.has(msgId)) {
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
    if (reply.heartbeat) this.#ctx.replies.heartbeat(msgId);
    else if (reply.failure) this.#ctx.replies.fail(msgId, reply.failure);
    else this.#ctx.replies.resolve(msgId, reply.result);
  }

  /** The RPC address of `target`, remembered per target object (a client sends to the same one). */
  #rpcAddress(target: Target, addresser: Addresser): string {
    const known = this.#addresses.get(target);
    if (known?.addresser === addresser) return known.address;
    const address = addresser.resolve(
      { exchange: target.exchange, topic: String(target.topic), server: target.server, fanout: target.fanout },
      'rpc',
    );
    this.#addresses.set(target, { addresser, address });
    return address;
  }

  async send(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<unknown> {
    const call = options.waitForReply;
    const timeout = options.timeout;
    // A call always has a deadline; a cast without timeout retries as oslo's `retry` says (forever when unset).
    const deadline = this.#deadlineOf(options, this.#opts.default_send_timeout, call);
    const plan: SendPlan = {
      what: call ? 'RPC call' : 'RPC cast',
      settled: this.#preSettled.has(call ? 'rpc-call' : 'rpc-cast'),
      deadline,
      timed: !!timeout || options.deadline !== undefined,
      retry: options.retry,
      signal: () => options.signal,
      retries: 0,
    };
    const address = this.#rpcAddress(target, this.#resolvedAddresser ?? (await this.#addresserFor(plan)));
    const message: Message = {
      body: requestBody(
        request,
        ctxt,
        call && options.callMonitorTimeout != null ? { callMonitorTimeout: options.callMonitorTimeout } : undefined,
      ),
    };
    if (timeout) message.ttl = Math.round(timeout * 1000);
    if (!call) {
      await this.#send(address, message, plan);
      return undefined;
    }
    const replies = this.#replyHandle ?? (await this.#before(this.#replyLink(), plan, ' (attaching the reply link)'));
    // Only the cheap checks: reading the caller's signal would create it (it aborts at the deadline or cleanup).
    const stop = this.#closed || Date.now() >= deadline ? this.#stopReason(plan, '') : undefined;
    if (stop) throw stop;
    const msgId = hex();
    message.message_id = msgId;
    message.reply_to = replies.address();
    // The reply is awaited until the call's deadline, not for a fresh timeout: connecting counted too.
    // Core's options carry the deadline and the caller's abort hook; a direct caller gets the same from ours.
    const reply = this.#ctx.replies.wait(
      msgId,
      options.deadline !== undefined
        ? options
        : { deadline, callMonitorTimeout: options.callMonitorTimeout, signal: options.signal },
    );
    this.#send(address, message, plan).catch((err: Error) => this.#ctx.replies.fail(msgId, err));
    return reply;
  }

  async sendNotification(
    target: Target,
    ctxt: Context,
    message: NotificationMessage,
    options: NotificationSendOptions,
  ): Promise<void> {
    const { version, retry, signal } = options;
    // Retried forever when `retry` is unset or negative (until cleanup), else within default_notify_timeout.
    const plan: SendPlan = {
      what: 'Notification',
      settled: this.#preSettled.has('notify'),
      deadline: this.#deadlineOf({ retry }, this.#opts.default_notify_timeout, false),
      timed: false,
      retry,
      signal,
      retries: 0,
    };
    // Like oslo, notifications ignore the target's exchange.
    const address = (await this.#addresserFor(plan)).anycast({ topic: String(target.topic) }, 'notify');
    const body = requestBody({ ...message }, ctxt, { envelope: version === 2 });
    await this.#send(address, { body }, plan);
  }

  // ---- server side -------------------------------------------------------------------------

  /** A server or listener on the addresses `addressesOf` gives for the current addressing mode. */
  async #listener(
    addressesOf: (addresser: Addresser) => string[],
    credit: number,
    incoming: (message: Message, delivery: Delivery, replies: AbortSignal) => IncomingMessage,
  ): Promise<Listener> {
    // Like oslo's listen, nothing here waits for the connection: links attach once it is up.
    let onMessage: MessageSink | undefined;
    let handles: ReceiverHandle[] = [];
    // Aborted once the listener is stopped and the connection is down (or at cleanup): replies still
    // waiting then are dropped instead of holding server.wait() for default_reply_timeout.
    const replies = new AbortController();
    setMaxListeners(0, replies.signal);
    let stopWatchingDown: (() => void) | undefined;
    const abandonReplies = () =>
      replies.abort(
        new MessageDeliveryFailure('The reply was abandoned: the server stopped while the connection was down'),
      );
    let cancelStart: (() => void) | undefined;
    let started = false;
    const deliver = (message: Message, delivery: Delivery) => {
      let m: IncomingMessage;
      try {
        m = incoming(message, delivery, replies.signal);
      } catch (err) {
        this.#ctx.logger.error('Rejecting a malformed message', { err });
        delivery.reject({
          condition: 'amqp:decode-error',
          description: err instanceof MalformedMessage ? err.message : 'malformed message',
        });
        return;
      }
      if (!onMessage) return void delivery.release();
      void onMessage(m);
    };
    const unsubscribe = () => {
      for (const h of handles) {
        h.close();
        this.#receivers.delete(h);
      }
      handles = [];
    };
    const subscribe = (addresser: Addresser) => {
      handles = addressesOf(addresser).map((a) => this.#links.receive({ address: a }, credit, deliver));
      for (const h of handles) this.#receivers.add(h);
      return Promise.all(handles.map((h) => h.attached));
    };
    const resubscribe = (addresser: Addresser) => {
      unsubscribe();
      subscribe(addresser).catch((err: unknown) =>
        this.#ctx.logger.error('Could not subscribe again under the new addressing mode', { err }),
      );
    };
    const stop = async () => {
      started = false;
      this.#resubscribers.delete(resubscribe);
      unsubscribe();
      onMessage = undefined;
      cancelStart?.();
      // In-flight messages may still reply while the connection holds.
      if (!this.#links.up || this.#closed) abandonReplies();
      else stopWatchingDown ??= this.#links.onDown(abandonReplies);
    };
    return {
      start: async (handler) => {
        onMessage = handler;
        if (started) return;
        if (this.#closed) throw new TransportDriverError('The transport was cleaned up');
        started = true;
        this.#resubscribers.add(resubscribe);
        const addresser = this.#resolvedAddresser;
        if (!addresser || !this.#links.up) {
          // Not up yet (a transport still opening its connection, or a broker that is down): like oslo's listen,
          // start completes once the links are attached, so that nothing sent after it (a fanout) is missed.
          // stop() and cleanup end the wait (and core's stop gives a pending start a bounded time).
          await new Promise<void>((resolve, reject) => {
            const finish = () => {
              cancelStart = undefined;
              this.#onCleanup.delete(onCleanup);
            };
            const onCleanup = () => (
              finish(),
              reject(new TransportDriverError('The transport was cleaned up while the listener was starting'))
            );
            cancelStart = () => (finish(), resolve());
            this.#onCleanup.add(onCleanup);
            const attachAll = (a: Addresser) => {
              if (!started || cancelStart === undefined) return;
              subscribe(a).then(
                () => (finish(), resolve()),
                (err: unknown) => (finish(), reject(err)),
              );
            };
            if (addresser) attachAll(addresser);
            else
              this.addresser().then(
                (a) => (handles.length === 0 ? attachAll(a) : undefined),
                (err: unknown) => (finish(), reject(err)),
              );
          });
          return;
        }
        // Up: wait for the links to attach (a refused link fails the start), but no longer than the connection
        // holds, ATTACH_WAIT_MS, stop() or cleanup: core's server.stop() waits for start(), so start never hangs.
        await new Promise<void>((resolve, reject) => {
          const finish = () => {
            cancelStart = undefined;
            this.#onCleanup.delete(onCleanup);
            stopWatching();
            clearTimeout(timer);
          };
          const onCleanup = () => (
            finish(),
            reject(new TransportDriverError('The transport was cleaned up while the listener was starting'))
          );
          const giveUp = () => (
            finish(),
            this.#ctx.logger.warn('AMQP 1.0 links not attached yet; they attach once the broker answers'),
            resolve()
          );
          cancelStart = () => (finish(), resolve());
          this.#onCleanup.add(onCleanup);
          const stopWatching = this.#links.onDown(giveUp);
          const timer = setTimeout(giveUp, ATTACH_WAIT_MS);
          subscribe(addresser).then(
            () => (finish(), resolve()),
            (err: unknown) => (finish(), reject(err)),
          );
        });
      },
      stop,
      cleanup: async () => {
        await stop();
        stopWatchingDown?.();
        abandonReplies();
      },
    };
  }

  async listen(target: Target): Promise<Listener> {
    const t = { exchange: target.exchange, topic: String(target.topic), server: target.server };
    // oslo's server subscribes three addresses: its own (unicast), the fanout (multicast) and the topic (anycast).
    return this.#listener(
      (a) => [a.unicast(t, 'rpc'), a.multicast(t, 'rpc'), a.anycast(t, 'rpc')],
      this.#opts.rpc_server_credit,
      (message, delivery, replies) => this.#incomingRpc(message, delivery, replies),
    );
  }

  async listenForNotifications(
    targetsAndPriorities: ReadonlyArray<readonly [Target, string]>,
    options: NotificationListenOptions,
  ): Promise<Listener> {
    if (options.pool)
      throw new TransportDriverError(
        'Notification listener pools are not supported by the AMQP 1.0 driver (as in oslo.messaging)',
      );
    const addressesOf = (a: Addresser) => [
      ...new Set(
        targetsAndPriorities.map(([t, priority]) => a.anycast({ topic: `${String(t.topic)}.${priority}` }, 'notify')),
      ),
    ];
    return this.#listener(addressesOf, this.#opts.notify_server_credit, (message, delivery) =>
      this.#incomingNotification(message, delivery),
    );
  }

  #incomingRpc(message: Message, delivery: Delivery, replies: AbortSignal): IncomingMessage {
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
        await this.#send(replyTo, m, {
          what,
          settled,
          deadline: Date.now() + this.#opts.default_reply_timeout * 1000,
          timed: false,
          retry,
          signal: replies,
          retries: 0,
        });
      } catch (err) {
        this.#ctx.logger.warn(`Could not send the ${what.toLowerCase()} to ${replyTo}`, { err });
      }
    };
    return this.#ctx.incoming({
      ctxt: request.context,
      message: request.message,
      clientTimeout,
      reply: (r: Reply) =>
        reply(
          {
            body: replyBody(
              r.failure !== undefined ? { failure: this.#ctx.remoteErrors.serialize(r.failure) } : { result: r.result },
            ),
          },
          'RPC reply',
          this.#preSettled.has('rpc-reply'),
          this.#opts.default_reply_retry,
        ),
      // Worst effort, as oslo: an empty (null) body, pre-settled, no retry, and a TTL so stale ones do not pile up.
      heartbeat: () =>
        reply(
          { body: null, ...(clientTimeout ? { ttl: Math.round(clientTimeout * 1000) } : {}) },
          'RPC heartbeat',
          true,
          0,
        ),
      acknowledge: () => this.#settle(delivery, 'accept'),
      requeue: () => this.#settle(delivery, 'release'),
    });
  }

  /** Settles a delivery; on a connection that went away meanwhile there is nothing left to settle (the broker redelivers). */
  #settle(delivery: Delivery, how: 'accept' | 'release'): void {
    try {
      delivery[how]();
    } catch (err) {
      this.#ctx.logger.warn(`Could not ${how} a message: the connection went away`, { err });
    }
  }

  #incomingNotification(message: Message, delivery: Delivery): IncomingMessage {
    const request = decodeRequest(message.body);
    return this.#ctx.incoming({
      ctxt: request.context,
      message: request.message,
      acknowledge: () => this.#settle(delivery, 'accept'),
      requeue: () => this.#settle(delivery, 'release'),
    });
  }

  async cleanup(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const stop of [...this.#onCleanup]) stop();
    this.#resubscribers.clear();
    for (const h of this.#receivers) h.close();
    this.#receivers.clear();
    await this.#links.close();
  }
}
