import { createHash } from 'node:crypto';

/**
 * NATS subjects are dot-separated tokens; oslo topics and server names may contain dots, `*` or `>`. A token is
 * escaped so that any topic maps to exactly one token: `%` followed by two hex digits for every character that is
 * not a letter, a digit, `_` or `-`.
 */
export function token(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''),
  );
}

/** The subjects of one virtual host (the URL's path, `/` by default). */
export class Subjects {
  readonly #vhost: string;
  constructor(virtualHost: string | undefined) {
    this.#vhost = token(virtualHost && virtualHost !== '/' ? virtualHost : 'default');
  }
  /** Calls to a topic (queue group per topic) or to one server of it: core NATS, not stored. */
  call(exchange: string, topic: string, server?: string): string {
    return `om.${this.#vhost}.call.${token(exchange)}.${token(topic)}${server ? `.${token(server)}` : ''}`;
  }
  /** Fanout casts: core NATS, every subscriber gets a copy (RabbitMQ's auto-delete fanout queues). */
  fanout(topic: string): string {
    return `om.${this.#vhost}.fanout.${token(topic)}`;
  }
  /** Casts to a topic or a server: stored in JetStream. */
  cast(exchange: string, topic: string, server?: string): string {
    return `omjs.${this.#vhost}.cast.${token(exchange)}.${token(topic)}${server ? `.${token(server)}` : ''}`;
  }
  /** Notifications (`topic` already ends in `.<priority>`): stored in JetStream. */
  notification(exchange: string, topic: string): string {
    return `omjs.${this.#vhost}.notify.${token(exchange)}.${token(topic)}`;
  }
  /**
   * The durable consumer standing for an oslo queue: `queue` is what RabbitMQ would name it (`compute`,
   * `compute.host1`, `notifications.info` or the pool). Consumer names allow few characters, so the name is a
   * readable prefix plus a hash of the stream subject and queue name.
   */
  consumerName(subject: string, queue: string): string {
    const readable = queue.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
    const hash = createHash('sha256').update(`${subject}\n${queue}`).digest('hex').slice(0, 16);
    return `${readable}_${hash}`;
  }
}
