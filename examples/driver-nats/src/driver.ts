import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import {
  MessageDeliveryFailure,
  MessageUndeliverable,
  MessagingTimeout,
  TransportDriverError,
  type Context,
  type Target,
} from '@oslo-messaging/core';
import {
  abortable,
  abortReason,
  amqpDialect,
  deserializeEnvelope,
  packContext,
  serializeEnvelope,
  unpackContext,
  type Driver,
  type DriverContext,
  type IncomingMessage,
  type Listener,
  type MessageSink,
  type ListenOptions,
  type NotificationListenOptions,
  type NotificationMessage,
  type NotificationSendOptions,
  type Reply,
  type ResolvedOptions,
  type RpcRequest,
  type SendOptions,
} from '@oslo-messaging/core/spi';
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  Events,
  nanos,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
  type Msg,
  type NatsConnection,
  type Subscription,
} from 'nats';
import { NATS_OPTIONS } from './options.js';
import { Subjects } from './subjects.js';

const hex = () => randomUUID().replaceAll('-', '');

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => (clearTimeout(t), reject(abortReason(signal!)));
    const t = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The caller's give-up signal: core's `signal` (aborted at the deadline or on cleanup) and this driver's own
 * cleanup; for a caller that passes a deadline but no signal, a timer stands in for it.
 */
function giveUpSignal(
  options: { deadline?: number | undefined; signal?: AbortSignal | undefined },
  closing: AbortSignal,
): AbortSignal {
  if (options.signal) return AbortSignal.any([closing, options.signal]);
  if (options.deadline === undefined) return closing;
  const c = new AbortController();
  const left = Math.max(0, options.deadline - Date.now());
  setTimeout(() => c.abort(new MessagingTimeout(`Gave up after the message's deadline (${left} ms)`)), left).unref();
  return AbortSignal.any([closing, c.signal]);
}

type Options = ResolvedOptions<typeof NATS_OPTIONS>;

/**
 * oslo.messaging over NATS. Calls and fanout casts travel on core NATS (like RabbitMQ's transient queues: a
 * call nobody serves times out); casts to a topic or server and notifications are stored in a JetStream stream
 * with interest retention, each oslo queue being a durable pull consumer shared by its listeners, so they wait
 * for a server that is restarting. Messages use oslo's JSON envelope and `_context_*` keys, as on RabbitMQ.
 */
export class NatsDriver implements Driver {
  readonly #ctx: DriverContext;
  readonly #opts: Options;
  readonly #subjects: Subjects;
  readonly #closing = new AbortController();
  readonly #listeners = new Set<Listener>();
  /** Subject prefix of this transport's replies: `_reply_q` on the wire. */
  readonly #replySubject = `_INBOX_OSLO.${hex()}`;
  /** Calls that got NATS's "no responders" status: nobody subscribed to their subject. */
  readonly #noResponders = new Set<string>();
  #connecting: Promise<NatsConnection> | undefined;
  #nc: NatsConnection | undefined;
  #replySub: Promise<void> | undefined;
  #stream: Promise<void> | undefined;
  readonly #consumers = new Map<string, Promise<string>>();

  constructor(ctx: DriverContext) {
    this.#ctx = ctx;
    this.#opts = ctx.options('oslo_messaging_nats', NATS_OPTIONS);
    this.#subjects = new Subjects(ctx.url.virtualHost);
    // Every message waiting for the connection listens to it.
    setMaxListeners(0, this.#closing.signal);
  }

  get #closed(): boolean {
    return this.#closing.signal.aborted;
  }

  #exchangeOf(target: Target): string {
    return target.exchange ?? this.#ctx.defaultExchange;
  }

  // ---- connection -----------------------------------------------------------------------------

  /** The connection, opened on first use and retried every `nats_retry_interval` until it succeeds or the transport is cleaned up. */
  #connection(signal?: AbortSignal): Promise<NatsConnection> {
    if (this.#closed) return Promise.reject(new TransportDriverError('The transport was cleaned up'));
    if (!this.#connecting) {
      this.#connecting = this.#connectLoop();
      this.#connecting.catch(() => undefined); // it rejects only after cleanup; callers see that through their own await
    }
    return abortable(this.#connecting, signal);
  }

  async #connectLoop(): Promise<NatsConnection> {
    const hosts =
      this.#ctx.url.hosts.length > 0
        ? this.#ctx.url.hosts
        : [{ hostname: undefined, port: undefined, username: undefined, password: undefined }];
    const servers = hosts.map((h) => `${h.hostname ?? '127.0.0.1'}:${h.port ?? 4222}`);
    const auth = hosts.find((h) => h.username !== undefined);
    for (let attempt = 1; ; attempt++) {
      if (this.#closed) throw new TransportDriverError('The transport was cleaned up');
      try {
        const nc = await connect({
          servers,
          name: `oslo.messaging:${process.pid}`,
          ...(auth?.username !== undefined ? { user: auth.username, pass: auth.password ?? '' } : {}),
          maxReconnectAttempts: -1,
          reconnectTimeWait: this.#opts.nats_retry_interval * 1000,
        });
        if (this.#closed) {
          await nc.close();
          throw new TransportDriverError('The transport was cleaned up');
        }
        this.#nc = nc;
        void this.#watch(nc);
        return nc;
      } catch (err) {
        if (err instanceof TransportDriverError) throw err;
        if (attempt === 1 || attempt % 10 === 0)
          this.#ctx.logger.warn(
            `NATS server on ${servers.join(',')} is unreachable: ${(err as Error).message}; retrying`,
          );
        await sleep(this.#opts.nats_retry_interval * 1000, this.#closing.signal).catch(() => undefined);
      }
    }
  }

  async #watch(nc: NatsConnection): Promise<void> {
    try {
      for await (const s of nc.status()) {
        if (s.type === Events.Disconnect) this.#ctx.logger.warn(`Disconnected from NATS ${String(s.data)}`);
        else if (s.type === Events.Reconnect) this.#ctx.logger.info(`Reconnected to NATS ${String(s.data)}`);
        else if (s.type === Events.Error) this.#ctx.logger.warn(`NATS error: ${String(s.data)}`);
      }
    } catch {
      // the status iterator ends with the connection
    }
  }

  /** The client side of replies: one subscription per transport, made before the first call is sent. */
  #ensureReplies(nc: NatsConnection): Promise<void> {
    this.#replySub ??= (async () => {
      nc.subscribe(this.#replySubject, {
        callback: (err, m) => err || amqpDialect.applyReplyBody(this.#ctx.replies, m.data, this.#ctx.logger),
      });
      // NATS answers a message nobody subscribes to with a "503 no responders" status on its reply subject.
      nc.subscribe(`${this.#replySubject}.nr.*`, {
        callback: (err, m) => {
          if (err || m.headers?.code !== 503) return;
          const msgId = m.subject.slice(this.#replySubject.length + 4);
          this.#noResponders.add(msgId);
          const undeliverable = this.#undeliverableCalls.get(msgId);
          if (undeliverable) this.#ctx.replies.fail(msgId, undeliverable);
        },
      });
      await nc.flush();
    })();
    this.#replySub.catch(() => (this.#replySub = undefined));
    return this.#replySub;
  }

  /** atLeastOnce calls: the error they fail with when nobody subscribes to their subject. */
  readonly #undeliverableCalls = new Map<string, MessageUndeliverable>();

  // ---- JetStream topology -------------------------------------------------------------------

  #jsm(nc: NatsConnection): Promise<JetStreamManager> {
    return nc.jetstreamManager({ timeout: this.#opts.nats_publish_timeout * 1000 });
  }

  /** The stream keeping every stored message (`omjs.>`): interest retention, so a message lives while a consumer (an oslo queue) wants it. */
  #ensureStream(nc: NatsConnection): Promise<void> {
    this.#stream ??= (async () => {
      const jsm = await this.#jsm(nc);
      const name = this.#opts.nats_stream;
      try {
        await jsm.streams.info(name);
      } catch {
        try {
          await jsm.streams.add({
            name,
            subjects: ['omjs.>'],
            retention: RetentionPolicy.Interest,
            storage: StorageType.File,
            max_age: nanos(this.#opts.nats_stream_max_age * 1000),
            duplicate_window: nanos(120_000),
          });
        } catch (err) {
          // another process may have created it in between
          await jsm.streams.info(name).catch(() => Promise.reject(err));
        }
      }
    })();
    this.#stream.catch(() => (this.#stream = undefined));
    return this.#stream;
  }

  /**
   * The durable consumer standing for the oslo queue `queue` on `subject` (RabbitMQ would declare a durable
   * queue bound to it): created once, shared by every listener of that queue in any process.
   */
  #ensureConsumer(nc: NatsConnection, subject: string, queue: string): Promise<string> {
    const name = this.#subjects.consumerName(subject, queue);
    let made = this.#consumers.get(name);
    if (!made) {
      made = (async () => {
        await this.#ensureStream(nc);
        const jsm = await this.#jsm(nc);
        const stream = this.#opts.nats_stream;
        try {
          await jsm.consumers.add(stream, {
            durable_name: name,
            description: `oslo queue ${queue} (${subject})`,
            filter_subject: subject,
            ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.New,
            ack_wait: nanos(this.#opts.nats_ack_wait * 1000),
            inactive_threshold: nanos(this.#opts.nats_consumer_inactive_threshold * 1000),
            max_ack_pending: 10_000,
          });
        } catch (err) {
          // exists already, possibly made by a process with other options: use it as it is
          await jsm.consumers.info(stream, name).catch(() => Promise.reject(err));
        }
        return name;
      })();
      this.#consumers.set(name, made);
      made.catch(() => this.#consumers.delete(name));
    }
    return made;
  }

  /** Whether the durable consumer of an oslo queue exists (atLeastOnce casts: a queue must take the message). */
  async #queueExists(nc: NatsConnection, subject: string, queue: string): Promise<boolean> {
    const jsm = await this.#jsm(nc);
    return jsm.consumers.info(this.#opts.nats_stream, this.#subjects.consumerName(subject, queue)).then(
      () => true,
      () => false,
    );
  }

  /**
   * Publishes to the stream, retried `retry` times (null/negative: until the caller gives up), each attempt
   * waiting `nats_publish_timeout` for the stream's acknowledgement. The message id makes retries idempotent.
   */
  async #storedPublish(
    subject: string,
    body: string,
    msgId: string,
    retry: number | null | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const data = Buffer.from(body);
    for (let attempt = 0; ; attempt++) {
      try {
        const nc = await this.#connection(signal);
        await abortable(this.#ensureStream(nc), signal);
        await abortable(
          nc.jetstream().publish(subject, data, { msgID: msgId, timeout: this.#opts.nats_publish_timeout * 1000 }),
          signal,
        );
        return;
      } catch (err) {
        if (signal.aborted) throw abortReason(signal);
        if (err instanceof TransportDriverError) throw err;
        this.#stream = undefined; // the stream may have been deleted: declare it again
        if (retry !== null && retry !== undefined && retry >= 0 && attempt >= retry) {
          throw new MessageDeliveryFailure(
            `Could not store a message on ${subject} after ${attempt + 1} attempt(s): ${(err as Error).message}`,
            { cause: err },
          );
        }
        this.#ctx.logger.warn(`Publishing to ${subject} failed (${(err as Error).message}); retrying`);
        await sleep(this.#opts.nats_retry_interval * 1000, signal);
      }
    }
  }

  // ---- sending -------------------------------------------------------------------------------

  async send(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<unknown> {
    if (this.#closed) throw new TransportDriverError('The transport was cleaned up');
    const signal = giveUpSignal(options, this.#closing.signal);
    const topic = target.topic!;
    const exchange = this.#exchangeOf(target);
    const uniqueId = hex();
    const msg: Record<string, unknown> = { ...request, _unique_id: uniqueId };

    if (options.waitForReply) {
      const msgId = hex();
      msg['_msg_id'] = msgId;
      msg['_reply_q'] = this.#replySubject;
      msg['_timeout'] = options.callMonitorTimeout ?? null;
      const subject = this.#subjects.call(exchange, topic, target.server);
      // Registered first: the deadline, the call monitor and an aborted signal are the waiter's business.
      // The waiter keeps the deadline itself (so it can explain the timeout); it drops out when core gives up.
      const waiterSignal = options.signal
        ? AbortSignal.any([options.signal, this.#closing.signal])
        : this.#closing.signal;
      const waiting = this.#ctx.replies.wait(msgId, { ...options, signal: waiterSignal }, () =>
        this.#noResponders.delete(msgId) ? `No server listens on ${subject}: nobody took the call ${msgId}` : undefined,
      );
      void waiting.then(
        () => (this.#noResponders.delete(msgId), this.#undeliverableCalls.delete(msgId)),
        () => (this.#noResponders.delete(msgId), this.#undeliverableCalls.delete(msgId)),
      );
      if (options.atLeastOnce)
        this.#undeliverableCalls.set(
          msgId,
          new MessageUndeliverable(`No server listens on ${subject}`, exchange, topic),
        );
      try {
        const nc = await this.#connection(signal);
        await abortable(this.#ensureReplies(nc), signal);
        nc.publish(subject, serializeEnvelope(packContext(msg, ctxt)), { reply: `${this.#replySubject}.nr.${msgId}` });
      } catch (err) {
        this.#ctx.replies.fail(
          msgId,
          signal.aborted
            ? abortReason(signal)
            : new MessageDeliveryFailure(`Could not send the call: ${(err as Error).message}`, { cause: err }),
        );
      }
      return waiting;
    }

    const body = serializeEnvelope(packContext(msg, ctxt));
    if (target.fanout) {
      const nc = await this.#connection(signal);
      nc.publish(this.#subjects.fanout(topic), body);
      await abortable(nc.flush(), signal);
      return undefined;
    }
    const subject = this.#subjects.cast(exchange, topic, target.server);
    if (options.atLeastOnce) {
      const nc = await this.#connection(signal);
      const queue = target.server ? `${topic}.${target.server}` : topic;
      if (!(await abortable(this.#queueExists(nc, subject, queue), signal))) {
        throw new MessageUndeliverable(`No queue takes casts for ${queue}`, exchange, topic);
      }
    }
    await this.#storedPublish(subject, body, uniqueId, options.retry, signal);
    return undefined;
  }

  async sendNotification(
    target: Target,
    ctxt: Context,
    message: NotificationMessage,
    options: NotificationSendOptions,
  ): Promise<void> {
    const { version, retry, signal } = options;
    if (this.#closed) throw new TransportDriverError('The transport was cleaned up');
    const giveUp = giveUpSignal({ signal }, this.#closing.signal);
    const exchange = this.#exchangeOf(target);
    const topic = target.topic!;
    const subject = this.#subjects.notification(exchange, topic);
    // oslo's notifier declares the queue `<topic>.<priority>`, so notifications wait for a listener.
    const nc = await this.#connection(giveUp);
    await abortable(this.#ensureConsumer(nc, subject, topic), giveUp);
    const uniqueId = hex();
    const msg = packContext({ ...message, _unique_id: uniqueId }, ctxt);
    await this.#storedPublish(
      subject,
      version === 2 ? serializeEnvelope(msg) : JSON.stringify(msg),
      uniqueId,
      retry,
      giveUp,
    );
  }

  // ---- receiving -----------------------------------------------------------------------------

  async listen(target: Target, options: ListenOptions): Promise<Listener> {
    const exchange = this.#exchangeOf(target);
    const topic = target.topic!;
    const server = target.server!;
    return this.#listener({
      core: [
        { subject: this.#subjects.call(exchange, topic), queue: 'servers' },
        { subject: this.#subjects.call(exchange, topic, server), queue: 'servers' },
        { subject: this.#subjects.fanout(topic) },
      ],
      stored: [
        { subject: this.#subjects.cast(exchange, topic), queue: topic },
        { subject: this.#subjects.cast(exchange, topic, server), queue: `${topic}.${server}` },
      ],
      prefetch: options.prefetch ?? this.#opts.nats_prefetch,
      decode: (data, settle) => this.#rpcIncoming(data, settle),
    });
  }

  async listenForNotifications(
    targetsAndPriorities: ReadonlyArray<readonly [Target, string]>,
    options: NotificationListenOptions,
  ): Promise<Listener> {
    const stored = targetsAndPriorities.map(([target, priority]) => {
      const topic = `${target.topic}.${priority}`;
      return { subject: this.#subjects.notification(this.#exchangeOf(target), topic), queue: options.pool ?? topic };
    });
    return this.#listener({
      core: [],
      stored,
      prefetch: this.#opts.nats_prefetch,
      decode: (data, settle) => this.#notificationIncoming(data, settle),
    });
  }

  #listener(spec: ListenerSpec): Listener {
    let run: Run | undefined;
    const stop = async () => {
      const r = run;
      run = undefined;
      if (!r) return;
      r.stopped = true;
      for (const s of r.subs) s.unsubscribe();
      for (const c of r.consumers) c.stop();
    };
    const listener: Listener = {
      start: async (onMessage) => {
        if (run) return;
        const r: Run = { stopped: false, subs: [], consumers: [] };
        run = r;
        // NATS may be restarting or JetStream recovering: keep trying for nats_listen_timeout seconds.
        const giveUpAt = Date.now() + this.#opts.nats_listen_timeout * 1000;
        for (let attempt = 1; ; attempt++) {
          try {
            await this.#attach(r, spec, onMessage);
            if (r.stopped) {
              // stop() came while attaching: release what was attached after it
              for (const sub of r.subs.splice(0)) sub.unsubscribe();
              for (const c of r.consumers.splice(0)) c.stop();
            }
            return;
          } catch (err) {
            for (const sub of r.subs.splice(0)) sub.unsubscribe();
            for (const c of r.consumers.splice(0)) c.stop();
            // The stream or a consumer may be gone (deleted, expired): declare them again next time.
            this.#stream = undefined;
            this.#consumers.clear();
            if (this.#closed || r.stopped || Date.now() >= giveUpAt) {
              if (run === r) run = undefined;
              throw err;
            }
            if (attempt === 1) this.#ctx.logger.warn(`Cannot listen yet (${(err as Error).message}); retrying`);
            await sleep(this.#opts.nats_retry_interval * 1000, this.#closing.signal).catch(() => undefined);
          }
        }
      },
      stop,
      cleanup: async () => {
        await stop();
        this.#listeners.delete(listener);
      },
    };
    this.#listeners.add(listener);
    return listener;
  }

  /** Subscribes a listener's core subjects and starts pulling from its durable consumers. */
  async #attach(r: Run, spec: ListenerSpec, onMessage: MessageSink): Promise<void> {
    const nc = await this.#connection(this.#closing.signal);
    const deliver = (incoming: IncomingMessage | undefined) =>
      incoming && !r.stopped ? onMessage(incoming) : undefined;
    for (const { subject, queue } of spec.core) {
      r.subs.push(
        nc.subscribe(subject, {
          ...(queue ? { queue } : {}),
          callback: (err, m: Msg) => {
            if (err || r.stopped) return;
            void deliver(spec.decode(m.data, NO_SETTLE));
          },
        }),
      );
    }
    // The subscriptions are registered with the server before start() resolves: a call sent right after is served.
    await nc.flush();
    for (const { subject, queue } of spec.stored) {
      const name = await this.#ensureConsumer(nc, subject, queue);
      const consumer = await nc.jetstream().consumers.get(this.#opts.nats_stream, name);
      const messages = await consumer.consume({ max_messages: spec.prefetch });
      r.consumers.push(messages);
      void (async () => {
        try {
          for await (const m of messages) {
            // Taken from NATS after stop(): give it back at once rather than after ack_wait.
            if (r.stopped) {
              m.nak();
              continue;
            }
            await deliver(spec.decode(m.data, jsSettle(m)));
          }
        } catch (err) {
          if (!r.stopped) this.#ctx.logger.error(`Consuming ${subject} stopped: ${(err as Error).message}`);
        }
      })();
    }
  }

  #decode(data: Uint8Array, settle: Settle): ReturnType<typeof unpackContext> | undefined {
    try {
      return unpackContext(deserializeEnvelope(data));
    } catch (err) {
      this.#ctx.logger.error('Rejecting a malformed message', { err });
      settle.ack();
      return undefined;
    }
  }

  #rpcIncoming(data: Uint8Array, settle: Settle): IncomingMessage | undefined {
    const u = this.#decode(data, settle);
    if (!u) return undefined;
    const { msgId, replyQueue } = u;
    // oslo's reply shapes ({result, failure, ending, _msg_id, _unique_id}) come from core's dialect helpers.
    const sendReply = async (reply: Reply | 'heartbeat') => {
      if (!msgId || !replyQueue) return;
      const nc = this.#nc;
      if (!nc || nc.isClosed()) {
        this.#ctx.logger.warn(`Cannot reply to ${msgId}: the connection is closed`);
        return;
      }
      nc.publish(replyQueue, serializeEnvelope(amqpDialect.replyMessage(reply, msgId, hex(), this.#ctx.remoteErrors)));
    };
    return this.#ctx.incoming({
      ctxt: u.ctxt,
      message: u.message,
      clientTimeout: u.clientTimeout,
      reply: (reply: Reply) => sendReply(reply),
      heartbeat: () => sendReply('heartbeat'),
      acknowledge: () => settle.ack(),
      requeue: () => settle.nak(),
    });
  }

  #notificationIncoming(data: Uint8Array, settle: Settle): IncomingMessage | undefined {
    const u = this.#decode(data, settle);
    if (!u) return undefined;
    return this.#ctx.incoming({
      ctxt: u.ctxt,
      message: u.message,
      acknowledge: () => settle.ack(),
      requeue: () => settle.nak(),
    });
  }

  async cleanup(): Promise<void> {
    if (this.#closed) return;
    this.#closing.abort(new TransportDriverError('The transport was cleaned up'));
    await Promise.all([...this.#listeners].map((l) => l.cleanup()));
    const nc = this.#nc;
    this.#nc = undefined;
    if (nc && !nc.isClosed()) await nc.close().catch(() => undefined);
  }
}

/** What a listener consumes: core NATS subjects (with a queue group or not) and stored (JetStream) queues. */
interface ListenerSpec {
  readonly core: ReadonlyArray<{ subject: string; queue?: string }>;
  readonly stored: ReadonlyArray<{ subject: string; queue: string }>;
  readonly prefetch: number;
  readonly decode: (data: Uint8Array, settle: Settle) => IncomingMessage | undefined;
}

/** One started run of a listener (a stopped listener can start again). */
interface Run {
  stopped: boolean;
  subs: Subscription[];
  consumers: ConsumerMessages[];
}

interface Settle {
  ack(): void;
  nak(): void;
}

/** Core NATS messages are not stored: nothing to settle. */
const NO_SETTLE: Settle = { ack: () => {}, nak: () => {} };

function jsSettle(m: JsMsg): Settle {
  return { ack: () => m.ack(), nak: () => m.nak() };
}
