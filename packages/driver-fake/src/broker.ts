/**
 * A tiny in-memory broker with RabbitMQ's routing semantics: exchanges route by exact routing
 * key (topic without wildcards) or to every bound queue (fanout); a queue delivers each message to
 * one of its consumers, round-robin, and keeps messages while nobody consumes; unacknowledged
 * messages go back to the queue when their consumer is cancelled.
 */

/** A delivery handed to a consumer. */
export interface Delivery {
  readonly body: string;
  /** Times this message was delivered before. */
  readonly redelivered: boolean;
  ack(): void;
  requeue(): void;
}

/** Receives deliveries; the returned promise is back-pressure (the next delivery waits for it). */
export type ConsumerCallback = (delivery: Delivery) => void | Promise<void>;

interface Message {
  readonly body: string;
  redelivered: boolean;
  /** Epoch ms after which the message is dropped undelivered (a call's time-to-live). */
  readonly expiresAt: number | undefined;
}

class Consumer {
  busy = false;
  readonly unacked = new Set<Message>();
  constructor(
    readonly queue: Queue,
    readonly callback: ConsumerCallback,
  ) {}
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
    this.#messages.push({ body, redelivered: false, expiresAt });
    this.#schedule();
  }

  consume(callback: ConsumerCallback): () => void {
    const consumer = new Consumer(this, callback);
    this.#consumers.push(consumer);
    this.#schedule();
    return () => this.#cancel(consumer);
  }

  #cancel(consumer: Consumer): void {
    const i = this.#consumers.indexOf(consumer);
    if (i < 0) return;
    this.#consumers.splice(i, 1);
    // Like a broker closing a channel: what the consumer did not acknowledge is delivered again.
    const back = [...consumer.unacked];
    consumer.unacked.clear();
    for (const m of back.reverse()) {
      m.redelivered = true;
      this.#messages.unshift(m);
    }
    if (this.#consumers.length === 0 && this.autoDelete) this.onEmptyAutoDelete(this);
    else this.#schedule();
  }

  #schedule(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    setImmediate(() => {
      this.#pumping = false;
      this.#pump();
    });
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
    consumer.unacked.add(message);
    let settled = false;
    const settle = (requeue: boolean) => {
      if (settled || !consumer.unacked.has(message)) return;
      settled = true;
      consumer.unacked.delete(message);
      if (requeue) {
        message.redelivered = true;
        this.#messages.unshift(message);
        this.#schedule();
      }
    };
    const delivery: Delivery = {
      body: message.body,
      redelivered: message.redelivered,
      ack: () => settle(false),
      requeue: () => settle(true),
    };
    let accepted: void | Promise<void>;
    try {
      accepted = consumer.callback(delivery);
    } catch {
      accepted = undefined;
    }
    const release = () => {
      consumer.busy = false;
      this.#schedule();
    };
    if (accepted && typeof (accepted as Promise<void>).then === 'function') (accepted as Promise<void>).then(release, release);
    else release();
  }
}

/** An exchange: `fanout` ignores routing keys. */
class Exchange {
  readonly bindings = new Map<string, Set<Queue>>();
  constructor(readonly type: 'topic' | 'fanout') {}

  route(routingKey: string): Queue[] {
    if (this.type === 'fanout') {
      const all = new Set<Queue>();
      for (const qs of this.bindings.values()) for (const q of qs) all.add(q);
      return [...all];
    }
    return [...(this.bindings.get(routingKey) ?? [])];
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
    let queues: Queue[];
    if (exchange === '') {
      const q = this.#queues.get(routingKey);
      queues = q ? [q] : [];
    } else {
      queues = this.#exchanges.get(exchange)?.route(routingKey) ?? [];
    }
    for (const q of queues) q.publish(body, expiresAt);
    return queues.length;
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
