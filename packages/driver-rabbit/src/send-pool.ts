import { TransportDriverError } from '@oslo-messaging/core';
import type { ManagedConnection } from './connection.js';
import { Publisher, type PublishOptions } from './publisher.js';

interface Entry {
  readonly connection: ManagedConnection;
  /** Counts its publishes waiting for confirms, and when it last had none ({@link Publisher.inFlight}). */
  readonly publisher: Publisher;
}

/** Publishes waiting for confirms on one connection before the pool opens another. */
export const GROW_AT = 64;

/**
 * oslo's send-connection pool (`rpc_conn_pool_size`, `conn_pool_min_size`, `conn_pool_ttl`): a send goes
 * to the first connection with fewer than {@link GROW_AT} unconfirmed publishes, so that a client below
 * that load keeps to one connection (its messages in the order sent, one socket and one broker process),
 * as oslo's pool hands out the connection it got back last; when every connection is that busy, a new one
 * opens while the pool is below its size, else the least busy takes it. Connections idle longer than the
 * TTL close down to the minimum.
 */
export class SendPool {
  readonly #entries: Entry[] = [];
  readonly #reaper: NodeJS.Timeout;

  constructor(
    private readonly open: () => ManagedConnection,
    readonly maxSize: number,
    readonly minSize: number,
    readonly ttlSeconds: number,
  ) {
    this.#reaper = setInterval(() => this.#reap(), Math.max(1000, (ttlSeconds * 1000) / 2));
    this.#reaper.unref();
  }

  /** Connections open now. */
  get size(): number {
    return this.#entries.length;
  }

  #closed = false;

  #pick(): Entry {
    if (this.#closed) throw new TransportDriverError('The transport was cleaned up');
    let best: Entry | undefined;
    for (const e of this.#entries) {
      if (e.publisher.inFlight < GROW_AT) return e;
      if (!best || e.publisher.inFlight < best.publisher.inFlight) best = e;
    }
    if (!best || this.#entries.length < this.maxSize) {
      const connection = this.open();
      best = { connection, publisher: new Publisher(connection) };
      this.#entries.push(best);
    }
    return best;
  }

  /** Publishes through the least busy connection (see {@link Publisher.publish}). */
  publish(exchange: string, routingKey: string, body: Buffer, options: PublishOptions): Promise<void> {
    let entry: Entry;
    try {
      entry = this.#pick();
    } catch (err) {
      return Promise.reject(err);
    }
    return entry.publisher.publish(exchange, routingKey, body, options);
  }

  #reap(): void {
    const now = Date.now();
    for (const e of [...this.#entries]) {
      if (this.#entries.length <= Math.max(1, this.minSize)) return;
      if (e.publisher.inFlight === 0 && now - e.publisher.idleSince > this.ttlSeconds * 1000) {
        this.#entries.splice(this.#entries.indexOf(e), 1);
        void e.connection.close();
      }
    }
  }

  /** Closes every connection. */
  async close(options: { now?: boolean } = {}): Promise<void> {
    this.#closed = true;
    clearInterval(this.#reaper);
    await Promise.all(this.#entries.splice(0).map((e) => e.connection.close(options)));
  }
}
