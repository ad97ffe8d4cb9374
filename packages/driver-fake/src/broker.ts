/**
 * A tiny in-memory broker with RabbitMQ's routing semantics: exchanges route by exact routing
 * key (topic without wildcards) or to every bound queue (fanout); a queue delivers each message to
 * one of its consumers, round-robin, and keeps messages while nobody consumes; unacknowledged
 * messages go back to the queue when their consumer is cancelled.
 */

import { ENVELOPE_VERSION } from '@oslo-messaging/core/spi';

/** A delivery handed to a consumer. */
export interface Delivery {
  readonly body: string;
  /**
   * For a message published with {@link Broker.publishEnveloped}: the envelope's `oslo.message` (the
   * JSON of the message itself), which a consumer of this process can parse without the envelope.
   * `body` is still the whole enveloped text, byte for byte, made when first read.
   */
  readonly inner?: string | undefined;
  /** Times this message was delivered before. */
  readonly redelivered: boolean;
  ack(): void;
  requeue(): void;
}

/** Receives deliveries; the returned promise is back-pressure (the next delivery waits for it). */
export type ConsumerCallback = (delivery: Delivery) => void | Promise<void>;

/** oslo's 2.0 envelope around the JSON text of a message, exactly as core's serializeEnvelope writes it. */
export function envelopeOf(inner: string): string {
  return JSON.stringify({ 'oslo.version': ENVELOPE_VERSION, 'oslo.message': inner });
}

class Message {
  #body: string | undefined;
  constructor(
    body: string | undefined,
    /** Set when published unwrapped: the body is its envelope. */
    readonly inner: string | undefined,
    /** Epoch ms after which the message is dropped undelivered (a call's time-to-live). */
    readonly expiresAt: number | undefined,
  ) {
    this.#body = body;
  }
  redelivered = false;
  /** The consumer holding it unacknowledged, and its neighbours in that consumer's list. */
  holder: Consumer | undefined;
  prevUnacked: Message | undefined;
  nextUnacked: Message | undefined;
  /** The message as it is on the wire: enveloped once, when first asked for. */
  get body(): string {
    return (this.#body ??= envelopeOf(this.inner!));
  }
}

class Consumer {
  busy = false;
  /**
   * Messages delivered and not yet acknowledged, newest first: a list through the messages (a Set
   * rehashing per message left the garbage collector chains of obsolete tables to promote).
   */
  unacked: Message | undefined;
  /** Ends the consumer's current delivery (a consumer takes one message at a time). */
  readonly release: () => void;
  constructor(
    readonly queue: Queue,
    readonly callback: ConsumerCallback,
    schedule: () => void,
  ) {
    this.release = () => {
      this.busy = false;
      schedule();
    };
  }

  hold(m: Message): void {
    m.holder = this;
    m.prevUnacked = undefined;
    m.nextUnacked = this.unacked;
    if (this.unacked) this.unacked.prevUnacked = m;
    this.unacked = m;
  }

  /** Takes `m` out of the unacknowledged list; false when this consumer does not hold it. */
  drop(m: Message): boolean {
    if (m.holder !== this) return false;
    if (m.prevUnacked) m.prevUnacked.nextUnacked = m.nextUnacked;
    else this.unacked = m.nextUnacked;
    if (m.nextUnacked) m.nextUnacked.prevUnacked = m.prevUnacked;
    m.holder = m.prevUnacked = m.nextUnacked = undefined;
    return true;
  }
}

/** A delivery: acknowledging or requeueing settles it once. */
class FakeDelivery implements Delivery {
  readonly redelivered: boolean;
  #settled = false;
  constructor(
    readonly consumer: Consumer,
    readonly message: Message,
    readonly requeueMessage: (m: Message) => void,
  ) {
    this.redelivered = message.redelivered;
  }

  get body(): string {
    return this.message.body;
  }

  get inner(): string | undefined {
    return this.message.inner;
  }

  ack(): void {
    this.#settle(false);
  }

  requeue(): void {
    this.#settle(true);
  }

  #settle(requeue: boolean): void {
    if (this.#settled || !this.consumer.drop(this.message)) return;
    this.#settled = true;
    if (requeue) this.requeueMessage(this.message);
  }
}

// Deliveries run as microtasks: an in-process broker has no I/O to wait for, and a turn of the event
// loop per message (setImmediate) cost more than the rest of a call. At most MAX_BURST of them run in a
// row, then one goes through setImmediate, so that timers and I/O get their turn under any load.
const MAX_BURST = 256;
// A resolved promise's reaction is a microtask without queueMicrotask's AsyncResource per call.
const RESOLVED: Promise<void> = Promise.resolve();
let burst = 0;
let turnPending = false;
const endTurn = (): void => {
  burst = 0;
  turnPending = false;
};
function defer(fn: () => void): void {
  if (burst < MAX_BURST) {
    burst++;
    if (!turnPending) {
      turnPending = true;
      setImmediate(endTurn);
    }
    void RESOLVED.then(fn); // fn does not throw: deliveries catch their handlers' errors
  } else setImmediate(fn);
}

/** A queue: FIFO messages, round-robin over consumers. */
export class Queue {
  readonly #messages: Message[] = [];
  readonly #consumers: Consumer[] = [];
  #next = 0;
  #pumping = false;

  constructor(
    readonly name: string,
    /** Deleted when its last consumer goes (transient fanout queues). */
    readonly autoDelete: boolean,
    private readonly onEmptyAutoDelete: (q: Queue) => void,
  ) {}

  get consumerCount(): number {
    return this.#consumers.length;
  }

  get depth(): number {
    return this.#messages.length;
  }

  publish(body: string, expiresAt?: number): void {
    this.#messages.push(new Message(body, undefined, expiresAt));
    this.#schedule();
  }

  /** Publishes the JSON text of a message; its body is that text in oslo's envelope. */
  publishEnveloped(inner: string, expiresAt?: number): void {
    this.#messages.push(new Message(undefined, inner, expiresAt));
    this.#schedule();
  }

  consume(callback: ConsumerCallback): () => void {
    const consumer = new Consumer(this, callback, this.#scheduleFn);
    this.#consumers.push(consumer);
    this.#schedule();
    return () => this.#cancel(consumer);
  }

  #cancel(consumer: Consumer): void {
    const i = this.#consumers.indexOf(consumer);
    if (i < 0) return;
    this.#consumers.splice(i, 1);
    // Like a broker closing a channel: what the consumer did not acknowledge is delivered again.
    // Newest first, each put at the front: the oldest ends up first, as delivered.
    const back: Message[] = [];
    for (let m = consumer.unacked; m; m = m.nextUnacked) back.push(m);
    for (const m of back) consumer.drop(m);
    for (const m of back) {
      m.redelivered = true;
      this.#messages.unshift(m);
    }
    if (this.#consumers.length === 0 && this.autoDelete) this.onEmptyAutoDelete(this);
    else this.#schedule();
  }

  readonly #runPump = (): void => {
    this.#pumping = false;
    this.#pump();
  };

  readonly #scheduleFn = (): void => this.#schedule();

  readonly #requeue = (message: Message): void => {
    message.redelivered = true;
    this.#messages.unshift(message);
    this.#schedule();
  };

  #schedule(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    defer(this.#runPump);
  }

  #pump(): void {
    while (this.#messages.length > 0) {
      const consumer = this.#pickConsumer();
      if (!consumer) return;
      const message = this.#messages.shift()!;
      if (message.expiresAt !== undefined && message.expiresAt < Date.now()) continue;
      this.#deliver(consumer, message);
    }
  }

  #pickConsumer(): Consumer | undefined {
    const n = this.#consumers.length;
    for (let k = 0; k < n; k++) {
      const c = this.#consumers[(this.#next + k) % n]!;
      if (!c.busy) {
        this.#next = (this.#next + k + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  #deliver(consumer: Consumer, message: Message): void {
    consumer.busy = true;
    consumer.hold(message);
    const delivery = new FakeDelivery(consumer, message, this.#requeue);
    let accepted: void | Promise<void>;
    try {
      accepted = consumer.callback(delivery);
    } catch {
      accepted = undefined;
    }
    if (accepted && typeof accepted.then === 'function') accepted.then(consumer.release, consumer.release);
    else consumer.release();
  }
}

const NO_QUEUES: ReadonlySet<Queue> = new Set();
const NONE: readonly Queue[] = [];

/** An exchange: `fanout` ignores routing keys. */
class Exchange {
  readonly bindings = new Map<string, Set<Queue>>();
  constructor(readonly type: 'topic' | 'fanout') {}

  route(routingKey: string): Iterable<Queue> & { readonly size: number } {
    if (this.type === 'fanout') {
      const all = new Set<Queue>();
      for (const qs of this.bindings.values()) for (const q of qs) all.add(q);
      return all;
    }
    return this.bindings.get(routingKey) ?? NO_QUEUES;
  }
}

/** One virtual host's exchanges and queues. */
export class Broker {
  readonly #exchanges = new Map<string, Exchange>();
  readonly #queues = new Map<string, Queue>();

  declareExchange(name: string, type: 'topic' | 'fanout'): void {
    if (!this.#exchanges.has(name)) this.#exchanges.set(name, new Exchange(type));
  }

  declareQueue(name: string, options: { autoDelete?: boolean } = {}): Queue {
    let q = this.#queues.get(name);
    if (!q) {
      q = new Queue(name, options.autoDelete ?? false, (dead) => this.#deleteQueue(dead));
      this.#queues.set(name, q);
    }
    return q;
  }

  bind(queue: Queue, exchange: string, routingKey: string): void {
    const ex = this.#exchanges.get(exchange);
    if (!ex) throw new Error(`no exchange ${exchange}`);
    const set = ex.bindings.get(routingKey) ?? new Set<Queue>();
    set.add(queue);
    ex.bindings.set(routingKey, set);
  }

  /**
   * Publishes; returns how many queues took the message. The default exchange `''` routes to the
   * queue named by the routing key, as in AMQP.
   */
  publish(exchange: string, routingKey: string, body: string, expiresAt?: number): number {
    const queues = this.#routeTo(exchange, routingKey);
    for (const q of queues) q.publish(body, expiresAt);
    return queues.length;
  }

  /**
   * {@link Broker.publish} of `inner` in oslo's 2.0 envelope, without writing the envelope until
   * someone reads the body: consumers of this process parse `inner` itself.
   */
  publishEnveloped(exchange: string, routingKey: string, inner: string, expiresAt?: number): number {
    const queues = this.#routeTo(exchange, routingKey);
    for (const q of queues) q.publishEnveloped(inner, expiresAt);
    return queues.length;
  }

  #routeTo(exchange: string, routingKey: string): readonly Queue[] {
    if (exchange === '') {
      const q = this.#queues.get(routingKey);
      return q ? [q] : NONE;
    }
    const ex = this.#exchanges.get(exchange);
    if (!ex) return NONE;
    const queues = ex.route(routingKey);
    return queues.size === 0 ? NONE : [...queues];
  }

  queue(name: string): Queue | undefined {
    return this.#queues.get(name);
  }

  #deleteQueue(q: Queue): void {
    this.#queues.delete(q.name);
    for (const ex of this.#exchanges.values()) for (const set of ex.bindings.values()) set.delete(q);
  }
}

const brokers = new Map<string, Broker>();

/** The process-wide broker of a virtual host (every `fake://` transport of one vhost shares it). */
export function brokerFor(virtualHost: string): Broker {
  let b = brokers.get(virtualHost);
  if (!b) {
    b = new Broker();
    brokers.set(virtualHost, b);
  }
  return b;
}
