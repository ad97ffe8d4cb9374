import type * as amqp from 'amqplib';
import {
  ConfigurationError,
  MessageUndeliverable,
  TransportDriverError,
  type Context,
  type Logger,
  type Target,
} from '@oslo-messaging/core';
import {
  abortable,
  amqpDialect,
  boundedWait,
  deserializeEnvelope,
  RecentIds,
  unpackContext,
  uuidHex,
  type Driver,
  type DriverContext,
  type IncomingMessage,
  type IncomingMessageInit,
  type MessageSink,
  type Listener,
  type ListenOptions,
  type NotificationListenOptions,
  type NotificationMessage,
  type NotificationSendOptions,
  type Reply,
  type ResolvedOptions,
  type RpcRequest,
  type SendOptions,
} from '@oslo-messaging/core/spi';
import { AckBatcher, listenerAckLimits } from './ack-batcher.js';
import { compressorFor, decompressed } from './compression.js';
import { declareError, declareRecovery, isPrecondition, RetryOnNewChannel } from './declare-errors.js';
import { ManagedConnection, unresponsiveMemoryMs } from './connection.js';
import { UnresponsiveHosts } from './unresponsive-hosts.js';
import { RABBIT_OPTIONS } from './options.js';
import type { Publisher, PublishOptions } from './publisher.js';
import { SendPool } from './send-pool.js';
import { notificationBody, replyBody, requestBody } from './messages.js';
import { QueueManager } from './queue-manager.js';
import { isDurable, queueArguments, streamArguments } from './topology.js';

const { names, rpcRoute } = amqpDialect;

type Opts = ResolvedOptions<typeof RABBIT_OPTIONS>;

/** How long a shutdown step (cancel a consumer, delete a transient queue) waits for a broker that may be frozen. */
const BROKER_OP_LIMIT_MS = 2000;

const hex = uuidHex;

/** A message's body, decompressed when a peer compressed it (kombu's `compression` header). */
function bodyOf(msg: amqp.Message): Buffer {
  // amqplib types header values as `any`: read them as `unknown`.
  const headers: Readonly<Record<string, unknown>> | undefined = msg.properties.headers;
  return decompressed(msg.content, headers?.['compression']);
}

/** A queue to consume: declared (and bound) by `declare` on each channel. */
interface QueueSpec {
  readonly name: string;
  /** Declares the queue (and its exchange and bindings); `durable: false` after upstream's non-durable fallback. */
  declare(ch: amqp.ConfirmChannel, durable?: boolean): Promise<void>;
  /** For a stream queue: where to resume consuming. */
  readonly stream?: StreamOffsets;
}

/**
 * A stream consumer's position, as upstream keeps it: start at `last`, then resume after the last
 * offset seen (`x-stream-offset` header + 1) on every re-consume; back to `last` when the broker
 * cancels the consumer (the stream may have been deleted).
 */
interface StreamOffsets {
  next: number | 'last';
}
const streamOffsets = (): StreamOffsets => ({ next: 'last' });

/** How a delivered message is settled: only on the channel that delivered it, through its batcher if it has one. */
class Delivery {
  constructor(
    readonly conn: ManagedConnection,
    readonly generation: number,
    readonly ch: amqp.ConfirmChannel,
    readonly msg: amqp.ConsumeMessage,
    readonly logger: Logger,
    /** Batches the channel's acknowledgements (notification listeners); settles every delivery of it. */
    readonly acks: AckBatcher | undefined,
  ) {}

  settle(how: 'ack' | 'requeue' | 'reject'): void {
    // An ack is only valid on the channel that delivered the message.
    if (this.conn.generation !== this.generation || this.conn.channel !== this.ch) return;
    try {
      const acks = this.acks;
      if (acks !== undefined) {
        if (how === 'ack') acks.ack(this.msg);
        else acks.reject(this.msg, how === 'requeue');
      } else if (how === 'ack') this.ch.ack(this.msg);
      else this.ch.reject(this.msg, how === 'requeue');
    } catch (err) {
      this.logger.warn('Failed to settle a message', { err });
    }
  }
}

/** What a publish runs first on each channel ({@link PublishOptions.prepare}). */
type Prepare = (ch: amqp.ConfirmChannel, pub: Publisher) => Promise<void> | undefined;

type Replier = (msgId: string, replyQueue: string, reply: Reply | 'heartbeat') => Promise<void>;

/** A message nobody replies to (an RPC cast; the base of the others) as core's IncomingMessageInit: methods on a prototype, not closures per message. */
class CastInit implements IncomingMessageInit {
  constructor(
    readonly ctxt: Context,
    readonly message: Readonly<Record<string, unknown>>,
    readonly clientTimeout: number | null,
    readonly delivery: Delivery,
  ) {}

  acknowledge(): void {
    this.delivery.settle('ack');
  }

  requeue(): void {
    this.delivery.settle('requeue');
  }
}

/** An RPC call: a cast that replies to `replyQueue`. */
class CallInit extends CastInit {
  constructor(
    ctxt: Context,
    message: Readonly<Record<string, unknown>>,
    clientTimeout: number | null,
    delivery: Delivery,
    readonly msgId: string,
    readonly replyQueue: string,
    readonly replier: Replier,
  ) {
    super(ctxt, message, clientTimeout, delivery);
  }

  reply(r: Reply): Promise<void> {
    return this.replier(this.msgId, this.replyQueue, r);
  }

  heartbeat(): Promise<void> {
    return this.replier(this.msgId, this.replyQueue, 'heartbeat');
  }
}

/** A notification: like oslo, it counts as seen once acknowledged (a requeued one comes back). */
class NotificationInit extends CastInit {
  constructor(
    ctxt: Context,
    message: Readonly<Record<string, unknown>>,
    clientTimeout: null,
    delivery: Delivery,
    readonly recent: RecentIds,
    readonly uniqueId: string | undefined,
  ) {
    super(ctxt, message, clientTimeout, delivery);
  }

  override acknowledge(): void {
    this.recent.add(this.uniqueId);
    this.delivery.settle('ack');
  }
}

/** The RabbitMQ driver: oslo.messaging 14's topology and wire format over amqplib. */
export class RabbitDriver implements Driver {
  readonly #ctx: DriverContext;
  readonly #opts: Opts;
  readonly #pool: SendPool;
  readonly #connections = new Set<ManagedConnection>();
  /** Hosts that stopped answering: what one connection learns, the others' reconnections use. */
  readonly #unresponsiveHosts: UnresponsiveHosts;
  /** Reply queues found gone (oslo's ObsoleteReplyQueuesCache): replies to them are dropped. */
  readonly #obsoleteReplyQueues = new Map<string, number>();
  #replyQueue: Promise<string> | undefined;
  /** The reply queue's name once declared (the fast path of every call). */
  #replyQueueName: string | undefined;
  /**
   * Send what the acknowledgement batchers hold (the reply consumer's, each notification listener's) and wait
   * for the broker: for cleanup, whose close would otherwise requeue deliveries that were handled.
   */
  readonly #ackSettlers = new Set<() => Promise<void>>();
  /** Acknowledges replies in batches, on the reply consumer's current channel. */
  #replyAcks: AckBatcher | undefined;
  /** Stable reply/fanout queue names (`use_queue_manager`). */
  readonly #queueManager: QueueManager | undefined;
  /** Exchanges found declared non-durable by another service (upstream falls back to that too). */
  readonly #nonDurableExchanges = new Set<string>();
  /** Queues declared non-durable after upstream's fallback (another service declared them so first). */
  readonly #nonDurableQueues = new Set<string>();
  /** Queues to delete before declaring them again (a 404: stuck on an unresponsive node). */
  readonly #stuckQueues = new Set<string>();
  #closed = false;
  /**
   * Set when the broker let a shutdown step time out (frozen, or gone without a FIN): the remaining
   * steps do not wait for it again, so stop and cleanup take one {@link BROKER_OP_LIMIT_MS}, not many.
   */
  #unresponsive = false;

  /**
   * A best-effort shutdown step: waits at most {@link BROKER_OP_LIMIT_MS}; failure is of no interest (a
   * consumer cancelled on a channel that died is gone with it; the close that follows releases the rest).
   */
  async #bestEffort(work: Promise<unknown>): Promise<void> {
    await boundedWait(
      work.catch(() => undefined),
      BROKER_OP_LIMIT_MS,
      () => (this.#unresponsive = true),
    );
  }

  constructor(ctx: DriverContext) {
    this.#ctx = ctx;
    this.#opts = ctx.options('oslo_messaging_rabbit', RABBIT_OPTIONS);
    queueArguments(this.#opts, 'durable'); // validates option combinations now
    this.#unresponsiveHosts = new UnresponsiveHosts(unresponsiveMemoryMs(this.#opts.heartbeat_timeout_threshold));
    compressorFor(this.#opts.kombu_compression);
    if (this.#opts.rabbit_stream_fanout && this.#opts.rabbit_qos_prefetch_count <= 0) {
      throw new ConfigurationError(
        'rabbit_stream_fanout needs rabbit_qos_prefetch_count to be set to a value greater than 0',
      );
    }
    if (this.#opts.rabbit_stream_fanout && !this.#opts.rabbit_transient_quorum_queue) {
      throw new ConfigurationError('rabbit_stream_fanout needs rabbit_transient_quorum_queue to be set to true');
    }
    if (this.#opts.rpc_conn_pool_size < this.#opts.conn_pool_min_size) {
      throw new ConfigurationError(
        `rpc_conn_pool_size (${this.#opts.rpc_conn_pool_size}) must be at least conn_pool_min_size (${this.#opts.conn_pool_min_size})`,
      );
    }
    this.#queueManager = this.#opts.use_queue_manager
      ? new QueueManager(this.#opts.hostname, this.#opts.processname)
      : undefined;
    this.#pool = new SendPool(
      () => this.#connection('send'),
      this.#opts.rpc_conn_pool_size,
      this.#opts.conn_pool_min_size,
      this.#opts.conn_pool_ttl,
    );
  }

  #connection(purpose: string): ManagedConnection {
    const c = new ManagedConnection(this.#ctx.url, this.#opts, this.#ctx.logger, purpose, this.#unresponsiveHosts);
    this.#connections.add(c);
    return c;
  }

  #exchangeOptions() {
    return { durable: isDurable(this.#opts), autoDelete: this.#opts.amqp_auto_delete };
  }

  /** Send connections open now (for introspection and tests). */
  get sendPoolSize(): number {
    return this.#pool.size;
  }

  /** The `prepare` of a publish to a topic exchange, one per exchange (not a closure per publish). */
  readonly #topicPrepares = new Map<string, (ch: amqp.ConfirmChannel, pub: Publisher) => Promise<void> | undefined>();

  #topicPrepare(exchange: string): (ch: amqp.ConfirmChannel, pub: Publisher) => Promise<void> | undefined {
    let prepare = this.#topicPrepares.get(exchange);
    if (!prepare) {
      const key = `x:${exchange}`;
      prepare = (ch, pub) => this.#declareTopicExchange(ch, pub, exchange, key);
      this.#topicPrepares.set(exchange, prepare);
    }
    return prepare;
  }

  #declareTopicExchange(
    ch: amqp.ConfirmChannel,
    pub: Publisher,
    exchange: string,
    key = `x:${exchange}`,
  ): Promise<void> | undefined {
    // Declared already (every publish but the first on a channel): nothing to build, nothing to wait for.
    if (pub.declared(key)) return undefined;
    const options = this.#nonDurableExchanges.has(exchange)
      ? { ...this.#exchangeOptions(), durable: false }
      : this.#exchangeOptions();
    return pub.ensure(ch, key, async (c) => {
      try {
        await c.assertExchange(exchange, 'topic', options);
      } catch (err) {
        if (
          isPrecondition(err) &&
          /inequivalent arg 'durable'/.test(String((err as Error).message)) &&
          options.durable
        ) {
          // As upstream: a service sharing the control exchange declared it non-durable first; use it as it is.
          this.#ctx.logger.warn(`Exchange ${exchange} exists as non-durable: using it as it is`);
          this.#nonDurableExchanges.add(exchange);
          throw new TransportDriverError(`Exchange ${exchange} exists as non-durable; declaring it so`, { cause: err });
        }
        throw declareError(err, `exchange ${exchange}`);
      }
    });
  }

  // ---- client side -------------------------------------------------------------------------

  #ensureReplyQueue(): Promise<string> {
    this.#replyQueue ??= (async () => {
      const name = names.replyQueue(this.#queueManager?.get() ?? hex());
      const conn = this.#connection('reply');
      const consumeReplies = async (ch: amqp.ConfirmChannel, generation: number): Promise<void> => {
        await ch.assertQueue(name, {
          durable: this.#opts.rabbit_transient_quorum_queue,
          autoDelete: false,
          exclusive: false,
          arguments: queueArguments(this.#opts, 'transient'),
        });
        // One acknowledgement for many replies (every reply is acknowledged, in order, as it arrives): one
        // batcher per channel, kept when the consumer is started again on the same channel.
        const acks = this.#replyAcks?.channel === ch ? this.#replyAcks : (this.#replyAcks = new AckBatcher(ch));
        await ch.consume(
          name,
          (msg) => {
            if (!msg) {
              // The broker cancelled the consumer (the reply queue was deleted): declare it and consume again.
              if (!this.#closed && conn.generation === generation && conn.channel === ch) {
                this.#ctx.logger.warn(
                  `The broker cancelled the consumer of reply queue ${name}: declaring it and consuming again`,
                );
                consumeReplies(ch, generation).catch((err: unknown) =>
                  this.#ctx.logger.warn(`Could not consume reply queue ${name} again: ${(err as Error).message}`),
                );
              }
              return;
            }
            if (conn.generation === generation) acks.ack(msg);
            this.#onReply(msg);
          },
          { noAck: false },
        );
      };
      await conn.addRecipe(consumeReplies);
      // Replies taken but not yet acknowledged would be requeued to a queue nobody reads again.
      this.#ackSettlers.add(() => this.#replyAcks?.settle() ?? Promise.resolve());
      this.#replyQueueName = name;
      return name;
    })();
    this.#replyQueue.catch(() => (this.#replyQueue = undefined));
    return this.#replyQueue;
  }

  #onReply(msg: amqp.ConsumeMessage): void {
    let body: Buffer;
    try {
      body = bodyOf(msg);
    } catch (err) {
      this.#ctx.logger.warn('Dropping a malformed reply', { err });
      return;
    }
    amqpDialect.applyReplyBody(this.#ctx.replies, body, this.#ctx.logger);
  }

  destinationName(target: Target): string {
    return amqpDialect.rpcDestination(target);
  }

  send(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<unknown> {
    // Not an async function: the usual send returns the reply's (or the publish's) promise itself,
    // without a promise of its own resolved with it (two more turns, two more promises per call).
    if (options.waitForReply && this.#replyQueueName === undefined)
      return this.#sendOnceReplyQueue(target, ctxt, request, options);
    try {
      return this.#send(target, ctxt, request, options, this.#replyQueueName);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** {@link send} of a call before the reply queue is declared. */
  async #sendOnceReplyQueue(
    target: Target,
    ctxt: Context,
    request: RpcRequest,
    options: SendOptions,
  ): Promise<unknown> {
    // While the broker is away the reply queue cannot be declared: the caller's signal ends that wait too
    // (read only then: core creates the signal lazily, and the usual call has its reply queue already).
    const replyQueue = await abortable(this.#ensureReplyQueue(), options.signal);
    return this.#send(target, ctxt, request, options, replyQueue);
  }

  #send(
    target: Target,
    ctxt: Context,
    request: RpcRequest,
    options: SendOptions,
    replyQueue: string | undefined,
  ): Promise<unknown> {
    const route = rpcRoute(target, this.#ctx.defaultExchange);
    const msgId = options.waitForReply ? hex() : undefined;
    const replyTo =
      msgId !== undefined
        ? { msgId, replyQueue: replyQueue!, callMonitorTimeout: options.callMonitorTimeout ?? null }
        : undefined;
    const body = requestBody(request, ctxt, hex(), replyTo);
    const reply =
      msgId !== undefined
        ? this.#ctx.replies.wait(
            msgId,
            options,
            () => `Timed out waiting for a reply ${replyTo!.replyQueue} to message ID ${msgId}.`,
          )
        : undefined;
    const publishing = this.#pool.publish(route.exchange, route.routingKey, body, {
      mandatory: options.atLeastOnce === true,
      retry: options.retry,
      abortOn: options,
      // A call's message expires when its caller stops waiting (oslo sets the TTL to the timeout).
      ttlMs: options.waitForReply && options.timeout !== undefined ? Math.trunc(options.timeout * 1000) : undefined,
      deadline: options.waitForReply ? options.deadline : undefined,
      prepare:
        route.type === 'fanout'
          ? (ch, pub) =>
              pub.ensure(ch, `xf:${route.exchange}`, (c) =>
                c.assertExchange(route.exchange, 'fanout', {
                  durable: this.#opts.rabbit_transient_quorum_queue,
                  autoDelete: true,
                }),
              )
          : this.#topicPrepare(route.exchange),
    });
    if (!reply) return publishing;
    // The reply may come (or the call time out) while the publish still waits for its confirm.
    publishing.catch((err: unknown) => this.#ctx.replies.fail(msgId!, err as Error));
    return reply;
  }

  sendNotification(
    target: Target,
    ctxt: Context,
    message: NotificationMessage,
    options: NotificationSendOptions,
  ): Promise<void> {
    // Not an async function: the publish's promise is the notification's.
    const { version, retry } = options;
    const exchange = target.exchange ?? this.#ctx.defaultExchange;
    const routingKey = String(target.topic);
    let body: Buffer;
    try {
      body = notificationBody(message, ctxt, hex(), version);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#pool.publish(exchange, routingKey, body, {
      retry,
      abortOn: options,
      prepare: this.#notificationPrepare(exchange, routingKey),
    });
  }

  /** The `prepare` of notifications to one exchange and topic, one per pair (not a closure and two keys per notification). */
  readonly #notificationPrepares = new Map<string, Map<string, Prepare>>();

  #notificationPrepare(exchange: string, routingKey: string): Prepare {
    let byTopic = this.#notificationPrepares.get(exchange);
    if (!byTopic) this.#notificationPrepares.set(exchange, (byTopic = new Map<string, Prepare>()));
    let prepare = byTopic.get(routingKey);
    if (prepare) return prepare;
    const queueKey = `q:${exchange}:${routingKey}`;
    const exchangeKey = `x:${exchange}`;
    prepare = (ch, pub) => {
      // Both declared already (every notification but the first on a channel): nothing to wait for.
      if (pub.declared(queueKey) && pub.declared(exchangeKey)) return undefined;
      return (async () => {
        await this.#declareTopicExchange(ch, pub, exchange, exchangeKey);
        // Like oslo, the publisher declares the non-pool queue so notifications wait for a listener.
        await pub.ensure(ch, queueKey, async (c) => {
          await c.assertQueue(routingKey, {
            ...this.#exchangeOptions(),
            arguments: queueArguments(this.#opts, 'durable'),
          });
          await c.bindQueue(routingKey, exchange, routingKey);
        });
      })();
    };
    byTopic.set(routingKey, prepare);
    return prepare;
  }

  // ---- server side -------------------------------------------------------------------------

  async listen(target: Target, options: ListenOptions): Promise<Listener> {
    const exchange = target.exchange ?? this.#ctx.defaultExchange;
    const topic = String(target.topic);
    const server = names.serverQueue(topic, String(target.server));
    const fanoutExchange = names.fanoutExchange(topic);
    const stream = this.#opts.rabbit_stream_fanout;
    const fanoutQueue = stream
      ? names.fanoutStream(topic)
      : names.fanoutQueue(topic, this.#queueManager?.get() ?? hex());
    const xo = this.#exchangeOptions();
    const durableArgs = queueArguments(this.#opts, 'durable');
    const queues: QueueSpec[] = [
      {
        name: topic,
        declare: async (ch, durable = xo.durable) => {
          await ch.assertExchange(exchange, 'topic', {
            ...xo,
            durable: durable && !this.#nonDurableExchanges.has(exchange),
          });
          await ch.assertQueue(topic, { ...xo, durable, arguments: durableArgs });
          await ch.bindQueue(topic, exchange, topic);
        },
      },
      {
        name: server,
        declare: async (ch, durable = xo.durable) => {
          await ch.assertQueue(server, { ...xo, durable, arguments: durableArgs });
          await ch.bindQueue(server, exchange, server);
        },
      },
      {
        name: fanoutQueue,
        declare: async (ch) => {
          await ch.assertExchange(fanoutExchange, 'fanout', {
            durable: this.#opts.rabbit_transient_quorum_queue,
            autoDelete: true,
          });
          await ch.assertQueue(fanoutQueue, {
            durable: this.#opts.rabbit_transient_quorum_queue || stream,
            autoDelete: false,
            arguments: stream ? streamArguments(this.#opts) : queueArguments(this.#opts, 'transient'),
          });
          await ch.bindQueue(fanoutQueue, fanoutExchange, topic);
        },
        ...(stream ? { stream: streamOffsets() } : {}),
      },
    ];
    const recent = new RecentIds(16);
    // Random fanout queues go with their server; stable ones (queue manager) and the shared stream stay
    // for the next run or the other servers, and expire by policy, as upstream.
    const deleteOnCleanup = stream || this.#queueManager ? [] : [fanoutQueue];
    // Requests are acknowledged one by one, on receipt: a batched acknowledgement could come after the
    // method ran, and a crash in between would run it again (oslo's RPC is at-most-once).
    return this.#consumer('rpc-server', queues, options.prefetch, false, deleteOnCleanup, (msg, delivery) =>
      this.#rpcIncoming(msg, delivery, recent),
    );
  }

  async listenForNotifications(
    targetsAndPriorities: ReadonlyArray<readonly [Target, string]>,
    options: NotificationListenOptions,
  ): Promise<Listener> {
    const byQueue = new Map<string, Array<{ exchange: string; routingKey: string }>>();
    for (const [target, priority] of targetsAndPriorities) {
      const exchange = target.exchange ?? this.#ctx.defaultExchange;
      const routingKey = names.notificationRoutingKey(String(target.topic), priority);
      const queue = names.notificationQueue(routingKey, options.pool);
      const list = byQueue.get(queue) ?? [];
      list.push({ exchange, routingKey });
      byQueue.set(queue, list);
    }
    const xo = this.#exchangeOptions();
    const args = queueArguments(this.#opts, 'durable');
    const queues: QueueSpec[] = [...byQueue].map(([name, bindings]) => ({
      name,
      declare: async (ch, durable = xo.durable) => {
        await ch.assertQueue(name, { ...xo, durable, arguments: args });
        for (const b of bindings) {
          await ch.assertExchange(b.exchange, 'topic', {
            ...xo,
            durable: durable && !this.#nonDurableExchanges.has(b.exchange),
          });
          await ch.bindQueue(name, b.exchange, b.routingKey);
        }
      },
    }));
    const recent = new RecentIds(64);
    // Notifications are acknowledged after handling, in batches: one frame for many, for the broker and
    // for this process. A batch not yet sent when the connection dies is delivered again (at-least-once,
    // as a notification handled but not yet acknowledged always was).
    return this.#consumer('notification-listener', queues, undefined, true, [], (msg, delivery) =>
      this.#notificationIncoming(msg, delivery, recent),
    );
  }

  /**
   * A listener on its own connection: (re)declares `queues` and consumes them on every
   * connection; settles a message only on the channel that delivered it.
   */
  async #consumer(
    purpose: string,
    queues: QueueSpec[],
    prefetch: number | undefined,
    batchAcks: boolean,
    deleteOnCleanup: string[],
    decode: (msg: amqp.ConsumeMessage, delivery: Delivery) => IncomingMessage | undefined,
  ): Promise<Listener> {
    const conn = this.#connection(purpose);
    let onMessage: MessageSink | undefined;
    let tags: string[] = [];
    let stopped = false;
    const declare = async (ch: amqp.ConfirmChannel, q: QueueSpec) => {
      const nonDurable = this.#nonDurableQueues.has(q.name);
      if (this.#stuckQueues.delete(q.name)) await ch.deleteQueue(q.name);
      try {
        await q.declare(ch, nonDurable ? false : undefined);
      } catch (err) {
        const recovery = declareRecovery(err, nonDurable);
        const log = this.#ctx.logger;
        if (recovery === 'non-durable') {
          log.warn(
            `Queue ${q.name} could not be declared probably because of conflicting configurations (${(err as Error).message}): declaring it non-durable`,
            { purpose },
          );
          this.#nonDurableQueues.add(q.name);
        } else if (recovery === 'delete-and-redeclare') {
          log.warn(`Queue ${q.name} is stuck on an unresponsive node: deleting it and declaring it again`, { purpose });
          this.#stuckQueues.add(q.name);
        } else if (recovery === 'wait-and-redeclare') {
          log.error(`Internal AMQP error (541) declaring queue ${q.name}: retrying in 2 s`, { purpose });
          await new Promise((r) => setTimeout(r, 2000).unref());
        } else {
          throw declareError(err, `queue ${q.name}`);
        }
        throw new RetryOnNewChannel(`Declaring queue ${q.name} again on a new channel`, { cause: err });
      }
    };
    /** The acknowledgement batcher of the current channel (made before its first consumer starts). */
    let acks: AckBatcher | undefined;
    /** Sends what the batch holds and waits for the broker: a transport cleaned up without stopping us first. */
    const settleAcks = async (): Promise<void> => {
      if (acks !== undefined && acks.channel === conn.channel) await acks.settle();
    };
    if (batchAcks) this.#ackSettlers.add(settleAcks);
    const recipe = async (ch: amqp.ConfirmChannel, generation: number) => {
      const count = prefetch ?? this.#opts.rabbit_qos_prefetch_count;
      if (batchAcks && acks?.channel !== ch) acks = new AckBatcher(ch, listenerAckLimits(count), Math.max(0, count));
      if (count > 0) await ch.prefetch(count, false);
      for (const q of queues) await declare(ch, q);
      if (!onMessage || stopped) return;
      tags = [];
      for (const q of queues) await consume(ch, generation, q);
    };
    /**
     * The broker cancels a consumer when its queue is deleted (or, with x-cancel-on-ha-failover,
     * on failover): re-declare the queue and consume again on the same channel, as upstream does.
     */
    const reconsume = async (ch: amqp.ConfirmChannel, generation: number, q: QueueSpec, oldTag: string) => {
      tags = tags.filter((t) => t !== oldTag);
      for (let attempt = 0; !stopped && conn.generation === generation && conn.channel === ch; attempt++) {
        try {
          this.#ctx.logger.warn(
            `The broker cancelled the consumer of ${q.name}: declaring the queue and consuming again`,
            { purpose },
          );
          await declare(ch, q);
          await consume(ch, generation, q);
          return;
        } catch (err) {
          // A failed declare closes the channel: the reconnect runs the whole recipe again.
          this.#ctx.logger.warn(`Could not consume ${q.name} again: ${(err as Error).message}`, { purpose });
          await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** attempt, 10_000)).unref());
        }
      }
    };
    const consume = async (ch: amqp.ConfirmChannel, generation: number, q: QueueSpec) => {
      {
        const consumerArgs = q.stream
          ? { 'x-stream-offset': q.stream.next }
          : this.#opts.enable_cancel_on_failover
            ? { 'x-cancel-on-ha-failover': true }
            : undefined;
        let myTag = '';
        const { consumerTag } = await ch.consume(
          q.name,
          (msg) => {
            if (!msg) {
              if (q.stream) q.stream.next = 'last';
              void reconsume(ch, generation, q, myTag);
              return;
            }
            if (q.stream) {
              const headers: Readonly<Record<string, unknown>> | undefined = msg.properties.headers;
              const offset = headers?.['x-stream-offset'];
              if (typeof offset === 'number') q.stream.next = offset + 1;
            }
            const delivery = new Delivery(
              conn,
              generation,
              ch,
              msg,
              this.#ctx.logger,
              acks?.channel === ch ? acks : undefined,
            );
            let incoming: IncomingMessage | undefined;
            try {
              incoming = decode(msg, delivery);
            } catch (err) {
              this.#ctx.logger.error('Rejecting a malformed message', { queue: q.name, err });
              delivery.settle('reject');
              return;
            }
            if (incoming && onMessage) void onMessage(incoming);
          },
          { noAck: false, ...(consumerArgs ? { arguments: consumerArgs } : {}) },
        );
        myTag = consumerTag;
        tags.push(consumerTag);
      }
    };
    try {
      await conn.addRecipe(recipe);
    } catch (err) {
      this.#ackSettlers.delete(settleAcks);
      await conn.close();
      this.#connections.delete(conn);
      throw err;
    }
    return {
      start: async (handler) => {
        onMessage = handler;
        const ch = await conn.ready();
        await recipe(ch, conn.generation);
      },
      stop: async () => {
        if (stopped) return;
        stopped = true;
        const ch = conn.channel;
        if (ch) await this.#bestEffort(Promise.all(tags.map((t) => ch.cancel(t))));
        tags = [];
      },
      cleanup: async () => {
        stopped = true;
        const ch = conn.channel;
        // Handled but not yet acknowledged: the close would requeue them, and they would be handled again.
        this.#ackSettlers.delete(settleAcks);
        if (batchAcks && !this.#unresponsive) await this.#bestEffort(settleAcks());
        if (ch && !this.#unresponsive)
          await this.#bestEffort(Promise.all(deleteOnCleanup.map((q) => ch.deleteQueue(q))));
        await conn.close({ now: this.#unresponsive });
        this.#connections.delete(conn);
      },
    };
  }

  /** Sends a reply or heartbeat of an incoming call (one function for every call). */
  readonly #replier: Replier = (msgId, replyQueue, reply) => this.#reply(msgId, replyQueue, reply);

  #rpcIncoming(msg: amqp.ConsumeMessage, delivery: Delivery, recent: RecentIds): IncomingMessage | undefined {
    const u = unpackContext(deserializeEnvelope(bodyOf(msg)));
    if (typeof u.message['method'] !== 'string') throw new Error('RPC request has no method');
    if (recent.seen(u.uniqueId)) {
      this.#ctx.logger.info(`Duplicate message detected: ignoring ${u.uniqueId}`);
      delivery.settle('ack');
      return undefined;
    }
    const { msgId, replyQueue } = u;
    const clientTimeout = u.clientTimeout ?? null;
    return this.#ctx.incoming(
      msgId && replyQueue
        ? new CallInit(u.ctxt, u.message, clientTimeout, delivery, msgId, replyQueue, this.#replier)
        : new CastInit(u.ctxt, u.message, clientTimeout, delivery),
    );
  }

  #notificationIncoming(msg: amqp.ConsumeMessage, delivery: Delivery, recent: RecentIds): IncomingMessage | undefined {
    const u = unpackContext(deserializeEnvelope(bodyOf(msg)));
    // Like oslo, a notification counts as seen once acknowledged: a requeued one comes back.
    if (recent.has(u.uniqueId)) {
      delivery.settle('ack');
      return undefined;
    }
    return this.#ctx.incoming(new NotificationInit(u.ctxt, u.message, null, delivery, recent, u.uniqueId));
  }

  /** The publish options of every reply. */
  #replyOptions: PublishOptions | undefined;

  /** Sends a reply, retrying every 0.25 s while the reply queue is missing (up to kombu_missing_consumer_retry_timeout). */
  #reply(msgId: string, replyQueue: string, reply: Reply | 'heartbeat'): Promise<void> {
    const obsolete = this.#obsoleteReplyQueues.get(replyQueue);
    if (obsolete !== undefined && obsolete > Date.now()) {
      this.#ctx.logger.warn(`Reply queue ${replyQueue} is gone: dropping the reply to ${msgId}`);
      return Promise.resolve();
    }
    let data: Buffer;
    try {
      data = replyBody(reply, msgId, hex(), this.#ctx.remoteErrors);
    } catch (err) {
      return Promise.reject(err);
    }
    const options = (this.#replyOptions ??= { mandatory: this.#opts.direct_mandatory_flag });
    // The usual reply goes out at once: no async frame; the retry loop only after a failure.
    const deadline = Date.now() + this.#opts.kombu_missing_consumer_retry_timeout * 1000;
    return this.#pool
      .publish('', replyQueue, data, options)
      .then(undefined, (err: unknown) => this.#replyAgain(err, replyQueue, data, options, deadline));
  }

  /** {@link #reply} after a failed publish: again every 0.25 s while the reply queue is missing, until `deadline`. */
  async #replyAgain(
    err: unknown,
    replyQueue: string,
    data: Buffer,
    options: PublishOptions,
    deadline: number,
  ): Promise<void> {
    for (;;) {
      if (!(err instanceof MessageUndeliverable) || Date.now() >= deadline || this.#closed) {
        if (err instanceof MessageUndeliverable) {
          if (this.#obsoleteReplyQueues.size >= 200)
            this.#obsoleteReplyQueues.delete(this.#obsoleteReplyQueues.keys().next().value!);
          this.#obsoleteReplyQueues.set(replyQueue, Date.now() + 60_000);
        }
        throw err;
      }
      await new Promise((r) => setTimeout(r, 250));
      try {
        await this.#pool.publish('', replyQueue, data, options);
        return;
      } catch (e) {
        err = e;
      }
    }
  }

  /** The reply queue of this transport's calls, once declared (for introspection and tests). */
  get replyQueueName(): string | undefined {
    return this.#replyQueueName;
  }

  async cleanup(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#unresponsive) await Promise.all([...this.#ackSettlers].map((settle) => this.#bestEffort(settle())));
    await this.#pool.close({ now: this.#unresponsive });
    await Promise.all([...this.#connections].map((c) => c.close({ now: this.#unresponsive })));
    this.#connections.clear();
  }
}
