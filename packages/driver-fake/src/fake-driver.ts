import { MessageUndeliverable, type Target } from '@oslo-messaging/core';
import {
  amqpDialect,
  deserializeEnvelope,
  unpackContext,
  uuidHex,
  type Context,
  type Driver,
  type DriverContext,
  type IncomingMessage,
  type Listener,
  type MessageSink,
  type NotificationMessage,
  type NotificationSendOptions,
  type Reply,
  type RpcRequest,
  type SendOptions,
} from '@oslo-messaging/core/spi';
import { brokerFor, type Broker, type ConsumerCallback, type Delivery } from './broker.js';

const { names } = amqpDialect;

const RESOLVED: Promise<undefined> = Promise.resolve(undefined);

/** A delivered RPC request, handed to core (one object per message, no closures). */
class FakeRpcIncoming implements IncomingMessage {
  constructor(
    readonly driver: FakeDriver,
    readonly delivery: Delivery,
    readonly ctxt: Context,
    readonly message: Record<string, unknown>,
    readonly clientTimeout: number | null,
    readonly msgId: string | undefined,
    readonly replyQueue: string | undefined,
  ) {}

  reply(reply: Reply): Promise<void> {
    return this.driver.sendReply(this, reply);
  }

  heartbeat(): Promise<void> {
    return this.driver.sendReply(this, 'heartbeat');
  }

  acknowledge(): Promise<void> {
    this.delivery.ack();
    return RESOLVED;
  }

  requeue(): Promise<void> {
    this.delivery.requeue();
    return RESOLVED;
  }
}

/**
 * The in-memory driver. It speaks oslo's AMQP 0-9-1 dialect on an in-memory broker: the same
 * exchanges, queues and message bodies (envelope, `_context_*` keys, failure format) as on
 * RabbitMQ, so what works here works on a broker.
 */
export class FakeDriver implements Driver {
  readonly #broker: Broker;
  readonly #ctx: DriverContext;
  readonly #cancels = new Set<() => void>();
  #replyQueue: string | undefined;
  #closed = false;

  constructor(ctx: DriverContext) {
    this.#ctx = ctx;
    this.#broker = brokerFor(ctx.url.virtualHost ?? '');
  }

  #exchangeOf(target: Target): string {
    return target.exchange ?? this.#ctx.defaultExchange;
  }

  #ensureReplyQueue(): string {
    if (this.#replyQueue) return this.#replyQueue;
    const name = names.replyQueue(uuidHex());
    const queue = this.#broker.declareQueue(name);
    const cancel = queue.consume((d) => this.#onReply(d));
    this.#cancels.add(cancel);
    this.#replyQueue = name;
    return name;
  }

  #onReply(delivery: Delivery): void {
    delivery.ack();
    const inner = delivery.inner;
    if (inner === undefined) return amqpDialect.applyReplyBody(this.#ctx.replies, delivery.body, this.#ctx.logger);
    let reply: Record<string, unknown>;
    try {
      reply = JSON.parse(inner) as Record<string, unknown>;
    } catch (err) {
      this.#ctx.logger.warn('Dropping a malformed reply', { err });
      return;
    }
    amqpDialect.applyReply(this.#ctx.replies, reply, this.#ctx.logger);
  }

  destinationName(target: Target): string {
    return amqpDialect.rpcDestination(target);
  }

  send(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<unknown> {
    try {
      return this.#send(target, ctxt, request, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #send(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<unknown> {
    const msgId = options.waitForReply ? uuidHex() : undefined;
    const replyTo =
      msgId !== undefined
        ? { msgId, replyQueue: this.#ensureReplyQueue(), callMonitorTimeout: options.callMonitorTimeout ?? null }
        : undefined;
    // The envelope is written only if someone reads the body (see Broker.publishEnveloped).
    const inner = JSON.stringify(amqpDialect.requestMessage(request, ctxt, uuidHex(), replyTo));
    const expiresAt =
      options.waitForReply && options.timeout !== undefined ? Date.now() + options.timeout * 1000 : undefined;
    const waiting = msgId !== undefined ? this.#ctx.replies.wait(msgId, options) : undefined;
    const route = amqpDialect.rpcRoute(target, this.#ctx.defaultExchange);
    this.#broker.declareExchange(route.exchange, route.type);
    const routed = this.#broker.publishEnveloped(route.exchange, route.routingKey, inner, expiresAt);
    if (routed === 0 && options.atLeastOnce) {
      const undeliverable = new MessageUndeliverable(
        'Message was not routed to any queue',
        route.exchange,
        route.routingKey,
      );
      if (msgId === undefined) throw undeliverable;
      this.#ctx.replies.fail(msgId, undeliverable);
    }
    return waiting ?? RESOLVED;
  }

  async sendNotification(
    target: Target,
    ctxt: Context,
    message: NotificationMessage,
    { version }: NotificationSendOptions,
  ): Promise<void> {
    const exchange = this.#exchangeOf(target);
    const routingKey = String(target.topic);
    this.#broker.declareExchange(exchange, 'topic');
    // oslo's publisher declares the non-pool queue so notifications wait for a consumer.
    this.#broker.bind(this.#broker.declareQueue(routingKey), exchange, routingKey);
    const msg = amqpDialect.notificationMessage(message, ctxt, uuidHex());
    if (version === 2) this.#broker.publishEnveloped(exchange, routingKey, JSON.stringify(msg));
    else this.#broker.publish(exchange, routingKey, JSON.stringify(msg));
  }

  async listen(target: Target): Promise<Listener> {
    const exchange = this.#exchangeOf(target);
    const topic = String(target.topic);
    const server = names.serverQueue(topic, String(target.server));
    const fanoutExchange = names.fanoutExchange(topic);
    const b = this.#broker;
    b.declareExchange(exchange, 'topic');
    b.declareExchange(fanoutExchange, 'fanout');
    const topicQueue = b.declareQueue(names.topicQueue(topic));
    b.bind(topicQueue, exchange, topic);
    const serverQueue = b.declareQueue(server);
    b.bind(serverQueue, exchange, server);
    const fanoutQueue = b.declareQueue(names.fanoutQueue(topic, uuidHex()), { autoDelete: true });
    b.bind(fanoutQueue, fanoutExchange, topic);
    return this.#listener([topicQueue, serverQueue, fanoutQueue], (d) => this.#rpcIncoming(d));
  }

  async listenForNotifications(
    targetsAndPriorities: ReadonlyArray<readonly [Target, string]>,
    options: { pool?: string | undefined },
  ): Promise<Listener> {
    const b = this.#broker;
    const queues = new Map<string, ReturnType<Broker['declareQueue']>>();
    for (const [target, priority] of targetsAndPriorities) {
      const exchange = this.#exchangeOf(target);
      const routingKey = names.notificationRoutingKey(String(target.topic), priority);
      b.declareExchange(exchange, 'topic');
      const q = b.declareQueue(names.notificationQueue(routingKey, options.pool));
      b.bind(q, exchange, routingKey);
      queues.set(q.name, q);
    }
    return this.#listener([...queues.values()], (d) => this.#notificationIncoming(d));
  }

  #listener(
    queues: ReadonlyArray<{ consume(cb: ConsumerCallback): () => void }>,
    decode: (d: Delivery) => IncomingMessage | undefined,
  ): Listener {
    let cancels: Array<() => void> = [];
    const stop = async () => {
      for (const c of cancels) {
        c();
        this.#cancels.delete(c);
      }
      cancels = [];
    };
    return {
      start: async (onMessage: MessageSink) => {
        for (const q of queues) {
          const cancel = q.consume((d) => {
            const incoming = decode(d);
            return incoming ? onMessage(incoming) : undefined;
          });
          cancels.push(cancel);
          this.#cancels.add(cancel);
        }
      },
      stop,
      cleanup: stop,
    };
  }

  #decode(d: Delivery): ReturnType<typeof unpackContext> | undefined {
    try {
      const inner = d.inner;
      return unpackContext(
        inner !== undefined ? (JSON.parse(inner) as Record<string, unknown>) : deserializeEnvelope(d.body),
      );
    } catch (err) {
      this.#ctx.logger.error('Rejecting a malformed message', { err });
      d.ack();
      return undefined;
    }
  }

  #rpcIncoming(d: Delivery): IncomingMessage | undefined {
    const u = this.#decode(d);
    if (!u) return undefined;
    return new FakeRpcIncoming(this, d, u.ctxt, u.message, u.clientTimeout, u.msgId, u.replyQueue);
  }

  /** Publishes a reply (or heartbeat) of `incoming` to its caller's reply queue. @internal */
  sendReply(incoming: FakeRpcIncoming, reply: Reply | 'heartbeat'): Promise<void> {
    const { msgId, replyQueue } = incoming;
    if (!msgId || !replyQueue) return RESOLVED;
    try {
      const inner = JSON.stringify(amqpDialect.replyMessage(reply, msgId, uuidHex(), this.#ctx.remoteErrors));
      if (this.#broker.publishEnveloped('', replyQueue, inner) === 0) {
        return Promise.reject(new MessageUndeliverable(`Reply queue ${replyQueue} does not exist`, '', replyQueue));
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return RESOLVED;
  }

  #notificationIncoming(d: Delivery): IncomingMessage | undefined {
    const u = this.#decode(d);
    if (!u) return undefined;
    return this.#ctx.incoming({
      ctxt: u.ctxt,
      message: u.message,
      acknowledge: () => d.ack(),
      requeue: () => d.requeue(),
    });
  }

  async cleanup(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#cancels) c();
    this.#cancels.clear();
  }
}
