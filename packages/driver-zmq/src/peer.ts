import { randomUUID } from 'node:crypto';
import { Dealer } from 'zeromq';
import type { Logger } from '@oslo-messaging/core';
import { eachMessage, responseAt, type ResponseFrames } from './frames.js';
import { SendQueue } from './send-queue.js';

/** What a peer reports to the driver. */
export interface PeerEvents {
  onResponse(response: ResponseFrames, peer: Peer): void;
  /** The TCP connection dropped (the peer may come back on the same address). */
  onDisconnect(peer: Peer): void;
}

/** Settles one sent message when its acknowledgement (or refusal) arrives on this peer. */
export interface PendingDelivery {
  /** When to give up waiting for the ACK (ms since epoch). */
  readonly deadline: number;
  /**
   * What holds the sender's abort signal (its send options): checked by the sweep (no listener per
   * message on the hot path), and read only then, since core makes the signal on first read.
   */
  readonly abortable?: { readonly signal?: AbortSignal | undefined } | undefined;
  ack(): void;
  /** The peer refused it (`NACK`) or went away before acknowledging it. */
  fail(reason: string, retryable: boolean): void;
}

/**
 * The client side of one server process: a DEALER connected to `tcp://<address>`, with a stable routing
 * id (so replies still find us after a reconnect), a write queue, and the deliveries waiting for its ACK.
 */
export class Peer {
  readonly socket: Dealer;
  readonly pending = new Map<string, PendingDelivery>();
  #connected = false;
  #down = false;
  readonly #connectTimeoutMs: number;
  /** Settles the wait of the send queue for the connection (at most one: the queue drains serially). */
  #onConnected: ((err?: Error) => void) | undefined;
  #closed = false;
  lastUsed = Date.now();
  readonly #queue: SendQueue<string[]>;

  constructor(
    readonly address: string,
    options: { connectTimeoutMs: number; lingerMs: number },
    private readonly events: PeerEvents,
    private readonly logger: Logger,
  ) {
    this.socket = new Dealer({
      routingId: `oz-${randomUUID()}`,
      immediate: true,
      linger: options.lingerMs,
      sendTimeout: options.connectTimeoutMs,
      sendHighWaterMark: 0,
      receiveHighWaterMark: 0,
    });
    this.#connectTimeoutMs = options.connectTimeoutMs;
    // Nothing is handed to ZeroMQ before the connection is up (once handed over it cannot be taken
    // back): queued messages whose sender gave up meanwhile are dropped, not sent late.
    this.#queue = new SendQueue(
      async (batch) => {
        try {
          await this.socket.send(batch.length === 1 ? batch[0]! : batch.flat());
          return undefined;
        } catch (err) {
          this.#down = true; // the connection dropped and did not come back within the send timeout
          throw err;
        }
      },
      128,
      () => (this.#connected || this.#closed ? undefined : this.#untilConnected()),
    );
    void this.#watch(); // first: the monitor must be attached before the connection can come up
    try {
      this.socket.connect(`tcp://${address}`);
    } catch (err) {
      this.close(); // an address ZeroMQ refuses (a garbage matchmaker entry): release the socket
      throw err;
    }
    void this.#receive();
  }

  /**
   * Follows the connection state. (Read as an iterator: zeromq.js's `events.on()` mode leaves an
   * unhandled rejection behind when the socket closes.)
   */
  async #watch(): Promise<void> {
    try {
      for await (const event of this.socket.events) {
        if (event.type === 'handshake') {
          this.#connected = true;
          this.#down = false;
          this.#onConnected?.();
        } else if (event.type === 'disconnect') {
          this.#connected = false;
          this.#down = true;
          this.#failPending(`connection to ${this.address} lost`);
          this.events.onDisconnect(this);
        }
      }
    } catch (err) {
      if (!this.#closed) this.logger.debug(`Stopped watching the connection to ${this.address}`, { err });
    }
  }

  /** Resolves on the next handshake; rejects (and marks the peer down) after the connect timeout. */
  #untilConnected(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => settle(new Error(`no connection to ${this.address} within ${this.#connectTimeoutMs} ms`)),
        this.#connectTimeoutMs,
      );
      const settle = (err?: Error) => {
        clearTimeout(timer);
        this.#onConnected = undefined;
        if (err === undefined) return resolve();
        this.#down = true;
        reject(err);
      };
      this.#onConnected = settle;
    });
  }

  /** True once the ZeroMQ handshake with the server completed, until the connection drops. */
  get connected(): boolean {
    return this.#connected;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * True after this peer failed us: no connection within the connect timeout, a dropped connection, or
   * an ACK that did not come in time (a stopped process keeps its TCP connection). Cleared by a new
   * handshake or anything received. The driver's round robin skips down peers while others are up;
   * a peer never tried is not down, so a new server gets its share at once.
   */
  get down(): boolean {
    return this.#down;
  }

  /** Queues `frames`; rejects (EAGAIN) when no connection came up within the connect timeout. */
  send(frames: string[]): Promise<void> {
    this.lastUsed = Date.now();
    return this.#queue.send(frames);
  }

  /** Queues `frames` without a promise; `onError` hears when they could not be sent. */
  push(frames: string[], onError: (err: Error) => void, live?: () => boolean): void {
    this.lastUsed = Date.now();
    this.#queue.push(frames, onError, live);
  }

  async #receive(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        this.#down = false;
        const bad = eachMessage(frames, 0, this.#onMessage);
        if (bad)
          this.logger.warn(`Dropping a malformed message from ${this.address}`, {
            err: bad.error,
            frames: bad.rest.length,
          });
      }
    } catch (err) {
      if (!this.#closed) this.logger.warn(`Receiving from ${this.address} failed`, { err });
    }
  }

  /** One logical message received (made once: no closure per message). */
  readonly #onMessage = (type: string, msgId: string, frames: readonly Buffer[], at: number, end: number): void => {
    let response: ResponseFrames;
    try {
      response = responseAt(type, msgId, frames, at, end);
    } catch (err) {
      this.logger.warn(`Dropping a malformed message from ${this.address}`, { err });
      return;
    }
    try {
      this.events.onResponse(response, this);
    } catch (err) {
      // One bad reply (say, a failure that cannot be decoded) must not end this receive loop.
      this.logger.warn(`Could not handle a message from ${this.address}`, { err });
    }
  };

  /** Fails the deliveries whose ACK is overdue or whose sender gave up (called by the driver's sweep). */
  expire(now: number): void {
    for (const [id, p] of this.pending) {
      if (p.abortable?.signal?.aborted === true) {
        this.pending.delete(id);
        p.fail('the caller stopped waiting', false);
        continue;
      }
      if (p.deadline > now) continue;
      this.pending.delete(id);
      this.#down = true;
      p.fail(`no acknowledgement from ${this.address} in time`, true);
    }
  }

  #failPending(reason: string): void {
    for (const [id, p] of [...this.pending]) {
      this.pending.delete(id);
      p.fail(reason, true);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onConnected?.(new Error(`connection to ${this.address} closed`));
    this.#queue.failAll(new Error(`connection to ${this.address} closed`));
    this.#failPending(`connection to ${this.address} closed`);
    this.socket.close();
  }
}
