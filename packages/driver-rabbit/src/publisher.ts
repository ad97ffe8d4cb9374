import type * as amqp from 'amqplib';
import {
  MessageDeliveryFailure,
  MessageUndeliverable,
  MessagingTimeout,
  PreconditionFailed,
  TransportDriverError,
} from '@oslo-messaging/core';
import { abortReason } from '@oslo-messaging/core/spi';
import type { ManagedConnection } from './connection.js';
import { compressorFor, type Compressor } from './compression.js';
import { publishProperties } from './topology.js';

/** Options of {@link Publisher.publish}. */
export interface PublishOptions {
  readonly mandatory?: boolean;
  /** Per-message TTL in ms (whole ms; sent as a string, as AMQP has it). */
  readonly ttlMs?: number | undefined;
  /** When set, publishing gives up once it has passed, and a publish delayed by more than a second gets the time left as its TTL. */
  readonly deadline?: number | undefined;
  /** oslo's `retry`: reconnect cycles (undefined/null/negative: forever). */
  readonly retry?: number | null | undefined;
  /**
   * Where the caller's signal is, read only on the slow path (no connection yet, a retry): core
   * creates a send's AbortSignal lazily, and a publish on a live channel never needs one.
   */
  readonly abortOn?: { readonly signal?: AbortSignal | undefined } | undefined;
  /**
   * Runs first on each channel (exchange declarations), given the publisher that publishes; returns
   * nothing when there is nothing to wait for (everything declared already: the usual publish).
   */
  readonly prepare?: (ch: amqp.ConfirmChannel, publisher: Publisher) => Promise<void> | undefined;
}

/** The AMQP properties of a publish (what {@link publishProperties} builds). */
type Properties = ReturnType<typeof publishProperties>;

interface Pending {
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  returned: boolean;
}

/**
 * Publishes with publisher confirms on a managed connection: declares exchanges once per channel,
 * retries across reconnects within the `retry` budget, and turns a broker return of a mandatory
 * message into {@link MessageUndeliverable}.
 */
export class Publisher {
  /** What {@link ensure} declared on the channel of connection generation {@link #declaredGeneration}. */
  #declared = new Set<string>();
  #declaredGeneration = -1;
  /**
   * Mandatory publishes waiting for their confirm, oldest first (confirms come in order, so the one
   * settling is usually the first). An array, not a map of lists: a call's reply is mandatory, and a
   * map entry made and deleted per reply reallocated the map's table every few calls.
   */
  readonly #mandatory: Pending[] = [];
  readonly #compressor: Compressor | undefined;
  /** The properties of a publish without a TTL (amqplib reads them, never changes them): made once. */
  readonly #plainProps: Properties;
  readonly #mandatoryProps: Properties;
  /**
   * The properties of the last publish with a TTL: a call's TTL is its timeout, the same string call after
   * call, so its properties are made once per timeout rather than per call.
   */
  #ttlProps: Properties | undefined;
  /** Publishes not settled yet (the send pool picks the publisher with the fewest). */
  inFlight = 0;
  /** When the last publish settled with none left in flight (the send pool's idle TTL). */
  idleSince = Date.now();

  constructor(readonly connection: ManagedConnection) {
    this.#compressor = compressorFor(connection.opts.kombu_compression);
    this.#plainProps = publishProperties(undefined, false, this.#compressor?.contentType);
    this.#mandatoryProps = publishProperties(undefined, true, this.#compressor?.contentType);
    connection.onReturn((msg) => {
      const { exchange, routingKey } = msg.fields;
      const p = this.#mandatory.find(
        (x) => !x.returned && x.exchange === exchange && x.routingKey === routingKey && x.body.equals(msg.content),
      );
      if (p) p.returned = true;
    });
  }

  /** Whether `key` was declared on this connection's current channel generation ({@link ensure}). */
  declared(key: string): boolean {
    return this.#declaredGeneration === this.connection.generation && this.#declared.has(key);
  }

  /**
   * Declares (once per channel) what `declare` declares, keyed by `key`; returns nothing when it is
   * declared already, so the usual publish does not wait a turn for it.
   */
  ensure(
    channel: amqp.ConfirmChannel,
    key: string,
    declare: (ch: amqp.ConfirmChannel) => Promise<unknown>,
  ): Promise<void> | undefined {
    const gen = this.connection.generation;
    if (this.#declaredGeneration !== gen) {
      // A new channel: nothing is declared on it yet.
      this.#declared = new Set();
      this.#declaredGeneration = gen;
    }
    if (this.#declared.has(key)) return undefined;
    // Recorded in this generation's set: a declaration that ends after a reconnection counts for nothing.
    const declaring = this.#declared;
    return declare(channel).then(() => void declaring.add(key));
  }

  /**
   * Publishes `body` and resolves when the broker confirmed it. `prepare` runs first on each
   * channel (exchange declarations). `retry` counts reconnect cycles, as oslo's `retry`.
   */
  publish(exchange: string, routingKey: string, body: Buffer, options: PublishOptions): Promise<void> {
    if (this.#compressor) body = this.#compressor.compress(body);
    this.inFlight++;
    // The usual publish: a live channel, everything declared, the deadline not passed. It costs one
    // promise (no async frame, no await); a failure goes on in the retry loop.
    const channel = this.connection.channel;
    if (channel) {
      const preparing = options.prepare?.(channel, this);
      const expiration = preparing === undefined ? this.#expiration(options) : null;
      if (expiration !== null)
        return this.#publishOnce(channel, exchange, routingKey, body, options.mandatory === true, expiration, options);
      return this.#publishLoop(exchange, routingKey, body, options, preparing);
    }
    return this.#publishLoop(exchange, routingKey, body, options, undefined);
  }

  #propsWithTtl(expiration: string, mandatory: boolean): Properties {
    const last = this.#ttlProps;
    if (last !== undefined && last.expiration === expiration && (last.mandatory === true) === mandatory) return last;
    return (this.#ttlProps = publishProperties(expiration, mandatory, this.#compressor?.contentType));
  }

  /** A publish settled: one fewer in flight. */
  #settled(): void {
    if (--this.inFlight === 0) this.idleSince = Date.now();
  }

  /**
   * The TTL of a publish now (`null`: the deadline passed). A call's message lives only as long as its
   * caller waits: the time spent reconnecting counts. On a prompt attempt the TTL is the timeout
   * itself, byte for byte as oslo sends it.
   */
  #expiration(options: PublishOptions): string | undefined | null {
    const ttl = options.ttlMs;
    if (options.deadline === undefined) return ttl === undefined ? undefined : this.#ttlString(ttl);
    const left = options.deadline - Date.now();
    if (left <= 0) return null;
    return ttl === undefined || ttl - left > 1000 ? String(Math.max(1, Math.trunc(left))) : this.#ttlString(ttl);
  }

  /** The last TTL sent and its string: a client sends with the same timeout call after call. */
  #lastTtl = NaN;
  #lastTtlString = '';

  #ttlString(ttlMs: number): string {
    if (ttlMs !== this.#lastTtl) {
      this.#lastTtl = ttlMs;
      this.#lastTtlString = String(ttlMs);
    }
    return this.#lastTtlString;
  }

  /**
   * The retry loop of {@link publish}, which counted the publish in {@link inFlight} already. Starts
   * with the first attempt (`preparing`: the first channel's preparation, begun already), or after a
   * first attempt on `failedOn` failed with `failed`.
   */
  async #publishLoop(
    exchange: string,
    routingKey: string,
    body: Buffer,
    options: PublishOptions,
    preparing: Promise<void> | undefined,
    failed?: { readonly err: unknown; readonly on: amqp.ConfirmChannel },
  ): Promise<void> {
    let attempts = 0;
    const abortOn = options.abortOn;
    try {
      if (failed) await this.#afterFailure(failed.err, failed.on, exchange, routingKey, options, ++attempts);
      for (;;) {
        const channel = this.connection.channel ?? (await this.connection.ready(options.retry, abortOn?.signal));
        try {
          const prepared = preparing ?? options.prepare?.(channel, this);
          preparing = undefined;
          if (prepared) await prepared;
          const signal = attempts > 0 ? abortOn?.signal : undefined;
          if (signal?.aborted) throw abortReason(signal);
          const expiration = this.#expiration(options);
          if (expiration === null)
            throw new MessagingTimeout(
              `Gave up publishing to ${exchange || '(default exchange)'} with routing key ${routingKey}: the deadline passed`,
            );
          await this.#publishOnce(
            channel,
            exchange,
            routingKey,
            body,
            options.mandatory === true,
            expiration,
            undefined,
          );
          return;
        } catch (err) {
          await this.#afterFailure(err, channel, exchange, routingKey, options, ++attempts);
        }
      }
    } finally {
      this.#settled();
    }
  }

  /** After attempt `attempts` on `channel` failed with `err`: throws when that is final, else waits for the next attempt. */
  async #afterFailure(
    err: unknown,
    channel: amqp.ConfirmChannel,
    exchange: string,
    routingKey: string,
    options: PublishOptions,
    attempts: number,
  ): Promise<void> {
    if (err instanceof MessageUndeliverable || err instanceof MessagingTimeout || err instanceof PreconditionFailed)
      throw err;
    const signal = options.abortOn?.signal;
    if (signal?.aborted) throw abortReason(signal);
    const retry = options.retry;
    if (retry !== undefined && retry !== null && retry >= 0 && attempts > retry) {
      throw new MessageDeliveryFailure(
        `Failed to publish to ${exchange || '(default exchange)'} with routing key ${routingKey}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    // A nack: RabbitMQ may refuse every later publish on this channel (a quorum queue that lost its
    // leader), so go on with a new one. Otherwise the channel died: wait for the reconnection.
    if ((err as Error).message === 'message nacked') await this.connection.replaceChannel(channel);
    else await new Promise((r) => setTimeout(r, 50));
  }

  /**
   * One publish and its confirm. A blocked or frozen broker may hold the confirm: the caller is
   * settled by core's deadline meanwhile, and the connection's close (heartbeats, cleanup) ends the wait.
   * `first` (the fast path of {@link publish}): a failure goes on in the retry loop, and the
   * publish leaves {@link inFlight} when it settles.
   */
  #publishOnce(
    channel: amqp.ConfirmChannel,
    exchange: string,
    routingKey: string,
    body: Buffer,
    mandatory: boolean,
    expiration: string | undefined,
    first: PublishOptions | undefined,
  ): Promise<void> {
    const pending: Pending | undefined = mandatory ? { exchange, routingKey, body, returned: false } : undefined;
    if (pending) this.#mandatory.push(pending);
    const props =
      expiration === undefined
        ? mandatory
          ? this.#mandatoryProps
          : this.#plainProps
        : this.#propsWithTtl(expiration, mandatory);
    return new Promise<void>((resolve, reject) => {
      const done = (err: unknown) => {
        if (pending) {
          const list = this.#mandatory;
          if (list[0] === pending) list.shift();
          else list.splice(list.indexOf(pending), 1);
        }
        if (err) {
          const failure =
            err instanceof Error
              ? new TransportDriverError(err.message, { cause: err })
              : new TransportDriverError('Publish was not confirmed');
          if (first)
            this.#publishLoop(exchange, routingKey, body, first, undefined, { err: failure, on: channel }).then(
              resolve,
              reject,
            );
          else reject(failure);
          return;
        }
        if (first) this.#settled();
        if (pending?.returned)
          reject(
            new MessageUndeliverable(
              `The broker returned the message: no queue bound to ${exchange || '(default exchange)'} with routing key ${routingKey}`,
              exchange,
              routingKey,
            ),
          );
        else resolve();
      };
      try {
        channel.publish(exchange, routingKey, body, props, done);
      } catch (err) {
        done(err);
      }
    });
  }
}
