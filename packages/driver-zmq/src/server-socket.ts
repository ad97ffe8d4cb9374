import { Router } from 'zeromq';
import { MalformedMessage, type Logger } from '@oslo-messaging/core';
import {
  eachMessage,
  encodeAck,
  encodeNack,
  MessageType,
  peekMessageId,
  requestAt,
  type RequestFrames,
} from './frames.js';
import type { LocalRoutes } from './local-routes.js';
import { RecentIds } from '@oslo-messaging/core/spi';
import { SendQueue } from './send-queue.js';

/** Where and how a process's server socket binds. */
export interface BindOptions {
  readonly bindAddress: string;
  readonly advertiseHost: string;
  /** Fixed port, or 0 for a random one in `[minPort, maxPort)`. */
  readonly port: number;
  readonly minPort: number;
  readonly maxPort: number;
  readonly retries: number;
  readonly lingerMs: number;
}

const RESOLVED: Promise<void> = Promise.resolve();
const isAddressInUse = (err: unknown) => (err as { code?: string }).code === 'EADDRINUSE';

/** A call answered (or heartbeating) within this many ms needs no separate ACK: the reply is one. */
export const CALL_ACK_DELAY_MS = 20;

/**
 * The one ROUTER socket through which a process serves every RPC server and notification listener of a
 * transport. It acknowledges each request on receipt, drops re-sent duplicates (re-acknowledging them),
 * refuses (`NACK`) requests no local endpoint serves, and writes replies back to the caller's identity.
 */
export class ServerSocket {
  readonly #router: Router;
  readonly #queue: SendQueue<{ identity: Buffer; frames: string[] }>;
  readonly #recent = new RecentIds(4096);
  /** Calls taken but not yet answered, oldest first: they get an ACK once CALL_ACK_DELAY_MS passed. */
  readonly #unackedCalls = new Map<string, { identity: Buffer; at: number }>();
  #ackTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #address = '';

  private constructor(
    private readonly routes: LocalRoutes,
    private readonly logger: Logger,
    lingerMs: number,
  ) {
    // mandatory: a reply to a caller that went away fails (and is logged) instead of vanishing;
    // handover: a caller reconnecting with its routing id takes over its old identity at once.
    this.#router = new Router({
      mandatory: true,
      handover: true,
      linger: lingerMs,
      sendTimeout: 1000,
      sendHighWaterMark: 0,
      receiveHighWaterMark: 0,
    });
    this.#queue = new SendQueue((batch) => this.#write(batch));
  }

  /** Writes a batch as one multipart message per caller; a caller that went away fails only its own messages. */
  async #write(
    batch: ReadonlyArray<{ identity: Buffer; frames: string[] }>,
  ): Promise<Array<Error | undefined> | undefined> {
    const first = batch[0]!.identity;
    let one = true;
    for (let i = 1; i < batch.length && one; i++)
      one = batch[i]!.identity === first || batch[i]!.identity.equals(first);
    if (one) {
      // Usually: every message of the batch goes to the same caller (one client process).
      const frames: Array<Buffer | string> = [first];
      for (const m of batch) for (const f of m.frames) frames.push(f);
      await this.#router.send(frames);
      return undefined;
    }
    const groups = new Map<string, { identity: Buffer; frames: Array<Buffer | string>; indexes: number[] }>();
    batch.forEach(({ identity, frames }, i) => {
      const key = identity.toString('latin1');
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { identity, frames: [identity], indexes: [] }));
      for (const f of frames) g.frames.push(f);
      g.indexes.push(i);
    });
    const errors: Array<Error | undefined> = [];
    for (const g of groups.values()) {
      try {
        await this.#router.send(g.frames);
      } catch (err) {
        for (const i of g.indexes) errors[i] = err as Error;
      }
    }
    return errors;
  }

  /** Binds a new server socket and starts receiving. */
  static async bind(routes: LocalRoutes, logger: Logger, options: BindOptions): Promise<ServerSocket> {
    const s = new ServerSocket(routes, logger, options.lingerMs);
    const port = await s.#bind(options);
    s.#address = `${options.advertiseHost}:${port}`;
    void s.#receive();
    return s;
  }

  async #bind(o: BindOptions): Promise<number> {
    if (o.port !== 0) {
      // A socket of this process that just closed may still hold the port for a moment.
      const deadline = Date.now() + 5000;
      for (;;) {
        try {
          await this.#router.bind(`tcp://${o.bindAddress}:${o.port}`);
          return o.port;
        } catch (err) {
          if (!isAddressInUse(err) || Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
    let last: unknown;
    for (let i = 0; i < o.retries; i++) {
      const port = o.minPort + Math.floor(Math.random() * (o.maxPort - o.minPort));
      try {
        await this.#router.bind(`tcp://${o.bindAddress}:${port}`);
        return port;
      } catch (err) {
        if (!isAddressInUse(err)) throw err;
        last = err;
      }
    }
    throw new Error(`No free port in [${o.minPort}, ${o.maxPort}) after ${o.retries} tries`, { cause: last });
  }

  /** `host:port` as advertised in the matchmaker. */
  get address(): string {
    return this.#address;
  }

  /** Sends frames to the client with routing id `identity`; logs (never throws) when it went away. */
  sendTo(identity: Buffer, frames: string[], what: string): Promise<void> {
    if (this.#closed) {
      this.logger.warn(`Server socket closed: dropping ${what}`);
      return Promise.resolve();
    }
    return this.#queue
      .send({ identity, frames })
      .catch((err: unknown) => this.logger.warn(`The caller went away: dropping ${what}`, { err }));
  }

  /**
   * Sends the reply or heartbeat of call `msgId`, which also acknowledges it. Queued without a promise
   * (a reply per call is the hot path): resolved at once, and a caller that went away is logged.
   */
  answer(identity: Buffer, msgId: string, frames: string[], what: 'the reply to' | 'a heartbeat for'): Promise<void> {
    this.#unackedCalls.delete(msgId);
    if (this.#closed) {
      this.logger.warn(`Server socket closed: dropping ${what} ${msgId}`);
      return RESOLVED;
    }
    this.#queue.push({ identity, frames }, (err: Error) =>
      this.logger.warn(`The caller went away: dropping ${what} ${msgId}`, { err }),
    );
    return RESOLVED;
  }

  #acknowledgeCallLater(identity: Buffer, msgId: string): void {
    this.#unackedCalls.set(msgId, { identity, at: Date.now() });
    this.#ackTimer ??= setTimeout(() => this.#sendDueCallAcks(), CALL_ACK_DELAY_MS);
  }

  #sendDueCallAcks(): void {
    this.#ackTimer = undefined;
    const due = Date.now() - CALL_ACK_DELAY_MS + 1;
    for (const [msgId, { identity, at }] of this.#unackedCalls) {
      if (at > due) break;
      this.#unackedCalls.delete(msgId);
      void this.sendTo(identity, encodeAck(msgId), 'an ACK');
    }
    if (this.#unackedCalls.size > 0 && !this.#closed)
      this.#ackTimer = setTimeout(() => this.#sendDueCallAcks(), CALL_ACK_DELAY_MS);
  }

  async #receive(): Promise<void> {
    try {
      for await (const frames of this.#router) {
        const identity = frames[0];
        if (identity === undefined) continue;
        const bad = eachMessage(frames, 1, this.#onMessage);
        if (bad) this.#refuseMalformed(identity, bad.rest, bad.error);
      }
    } catch (err) {
      if (!this.#closed) this.logger.error('The ZeroMQ server socket stopped receiving', { err });
    }
  }

  /** One logical message of the multipart message `frames` (`frames[0]`: the caller's identity). */
  readonly #onMessage = (type: string, msgId: string, frames: readonly Buffer[], at: number, end: number): void => {
    const identity = frames[0]!;
    let request: RequestFrames;
    try {
      request = requestAt(type, msgId, frames, at, end);
    } catch (err) {
      this.#refuseMalformed(identity, frames.slice(at, end), err);
      return;
    }
    this.#handle(identity, request);
  };

  #handle(identity: Buffer, request: RequestFrames): void {
    const endpoints = this.routes.resolve(request);
    if (endpoints.length === 0) {
      const what = request.server ? `${request.topic}/${request.server}` : request.topic;
      void this.sendTo(identity, encodeNack(request.msgId, `no endpoint for ${what} here`), 'a NACK');
      return;
    }
    const duplicate = this.#recent.seen(request.msgId);
    // A call's reply acknowledges it; only a slow call gets a separate ACK (a re-sent one at once).
    if (request.type === MessageType.CALL && !duplicate) this.#acknowledgeCallLater(identity, request.msgId);
    else void this.sendTo(identity, encodeAck(request.msgId), 'an ACK');
    if (duplicate) {
      this.logger.info(`Duplicate message detected: ignoring ${request.msgId}`);
      return;
    }
    for (const e of endpoints) {
      try {
        e.deliver(request, identity);
      } catch (err) {
        this.logger.error('Failed to deliver a message', {
          err,
          type: request.type === MessageType.CALL ? 'call' : request.type,
        });
      }
    }
  }

  #refuseMalformed(identity: Buffer, frames: readonly Buffer[], err: unknown): void {
    this.logger.error('Dropping a malformed ZeroMQ request', { err });
    const msgId = peekMessageId(frames);
    if (err instanceof MalformedMessage && msgId)
      void this.sendTo(identity, encodeNack(msgId, `malformed: ${err.message}`), 'a NACK');
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#ackTimer);
    this.#queue.failAll(new Error('server socket closed'));
    this.#router.close();
  }
}
