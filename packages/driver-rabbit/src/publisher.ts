import type * as amqp from 'amqplib';
import { MessageDeliveryFailure, MessageUndeliverable, TransportDriverError } from '@oslo-messaging/core';
import type { ManagedConnection } from './connection.js';
import { publishProperties } from './topology.js';

interface Pending {
  readonly body: Buffer;
  returned: boolean;
}

/**
 * Publishes with publisher confirms on a managed connection: declares exchanges once per channel,
 * retries across reconnects within the `retry` budget, and turns a broker return of a mandatory
 * message into {@link MessageUndeliverable}.
 */
export class Publisher {
  readonly #declared = new Map<number, Set<string>>();
  readonly #mandatory = new Map<string, Pending[]>();

  constructor(readonly connection: ManagedConnection) {
    connection.onReturn((msg) => {
      const key = `${msg.fields.exchange}\u0000${msg.fields.routingKey}`;
      const list = this.#mandatory.get(key);
      const p = list?.find((x) => !x.returned && x.body.equals(msg.content));
      if (p) p.returned = true;
    });
  }

  /** Declares (once per channel) what `declare` declares, keyed by `key`. */
  async ensure(channel: amqp.ConfirmChannel, key: string, declare: (ch: amqp.ConfirmChannel) => Promise<unknown>): Promise<void> {
    const gen = this.connection.generation;
    let set = this.#declared.get(gen);
    if (!set) {
      this.#declared.clear();
      set = new Set();
      this.#declared.set(gen, set);
    }
    if (set.has(key)) return;
    await declare(channel);
    set.add(key);
  }

  /**
   * Publishes `body` and resolves when the broker confirmed it. `prepare` runs first on each
   * channel (exchange declarations). `retry` counts reconnect cycles, as oslo's `retry`.
   */
  async publish(
    exchange: string,
    routingKey: string,
    body: Buffer,
    options: { mandatory?: boolean; expiration?: string; retry?: number | null; prepare?: (ch: amqp.ConfirmChannel) => Promise<void> },
  ): Promise<void> {
    let attempts = 0;
    for (;;) {
      const channel = await this.connection.ready(options.retry);
      try {
        if (options.prepare) await options.prepare(channel);
        await this.#publishOnce(channel, exchange, routingKey, body, options);
        return;
      } catch (err) {
        if (err instanceof MessageUndeliverable) throw err;
        attempts++;
        const retry = options.retry;
        if (retry !== undefined && retry !== null && retry >= 0 && attempts > retry) {
          throw new MessageDeliveryFailure(`Failed to publish to ${exchange || '(default exchange)'} with routing key ${routingKey}: ${(err as Error).message}`, { cause: err });
        }
        // The channel died under us: wait for the reconnection, then publish again.
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  #publishOnce(channel: amqp.ConfirmChannel, exchange: string, routingKey: string, body: Buffer, options: { mandatory?: boolean; expiration?: string }): Promise<void> {
    const key = `${exchange}\u0000${routingKey}`;
    const pending: Pending | undefined = options.mandatory ? { body, returned: false } : undefined;
    if (pending) {
      const list = this.#mandatory.get(key) ?? [];
      list.push(pending);
      this.#mandatory.set(key, list);
    }
    const props = publishProperties({ ...(options.expiration !== undefined ? { expiration: options.expiration } : {}), ...(options.mandatory ? { mandatory: true } : {}) });
    return new Promise<void>((resolve, reject) => {
      const done = (err: unknown) => {
        if (pending) {
          const list = this.#mandatory.get(key)!;
          list.splice(list.indexOf(pending), 1);
          if (list.length === 0) this.#mandatory.delete(key);
        }
        if (err) reject(err instanceof Error ? new TransportDriverError(err.message, { cause: err }) : new TransportDriverError('Publish was not confirmed'));
        else if (pending?.returned) reject(new MessageUndeliverable(`The broker returned the message: no queue bound to ${exchange || '(default exchange)'} with routing key ${routingKey}`, exchange, routingKey));
        else resolve();
      };
      try {
        channel.publish(exchange, routingKey, body, props, (err) => done(err));
      } catch (err) {
        done(err);
      }
    });
  }
}
