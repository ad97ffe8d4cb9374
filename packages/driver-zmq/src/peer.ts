import { randomUUID } from 'node:crypto';
import { Dealer } from 'zeromq';
import type { Logger } from '@oslo-messaging/core';
import { decodeResponse, splitMessages, type ResponseFrames } from './frames.js';
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
  #closed = false;
  lastUsed = Date.now();
  readonly #queue: SendQueue<string[]>;

  constructor(
    readonly address: string,
    options: { connectTimeoutMs: number; lingerMs: number },
    private readonly events: PeerEvents,
    private readonly logger: Logger,
  ) {
    this.socket = new Dealer({ routingId: `oz-${randomUUID()}`, immediate: true, linger: options.lingerMs, sendTimeout: options.connectTimeoutMs, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
    this.#queue = new SendQueue(async (batch) => {
      try {
        await this.socket.send(batch.length === 1 ? batch[0]! : batch.flat());
        return undefined;
      } catch (err) {
        this.#down = true; // no connection came up within the connect timeout
        throw err;
      }
    });
    this.socket.connect(`tcp://${address}`);
    void this.#watch();
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
        const { messages, rest, error } = splitMessages(frames);
        for (const m of messages) {
          let response: ResponseFrames;
          try {
            response = decodeResponse(m);
          } catch (err) {
            this.logger.warn(`Dropping a malformed message from ${this.address}`, { err });
            continue;
          }
          this.events.onResponse(response, this);
        }
        if (error) this.logger.warn(`Dropping a malformed message from ${this.address}`, { err: error, frames: rest.length });
      }
    } catch (err) {
      if (!this.#closed) this.logger.warn(`Receiving from ${this.address} failed`, { err });
    }
  }

  /** Fails the deliveries whose ACK is overdue (called by the driver's sweep). */
  expire(now: number): void {
    for (const [id, p] of this.pending) {
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
    this.#queue.failAll(new Error(`connection to ${this.address} closed`));
    this.#failPending(`connection to ${this.address} closed`);
    this.socket.close();
  }
}
