import { Router } from 'zeromq';
import { MalformedMessage, type Logger } from '@oslo-messaging/core';
import { decodeRequest, encodeAck, encodeNack, MessageType, type RequestFrames } from './frames.js';
import type { LocalRoutes } from './local-routes.js';
import { RecentIds } from './recent-ids.js';
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

const isAddressInUse = (err: unknown) => (err as { code?: string }).code === 'EADDRINUSE';

/**
 * The one ROUTER socket through which a process serves every RPC server and notification listener of a
 * transport. It acknowledges each request on receipt, drops re-sent duplicates (re-acknowledging them),
 * refuses (`NACK`) requests no local endpoint serves, and writes replies back to the caller's identity.
 */
export class ServerSocket {
  readonly #router: Router;
  readonly #queue: SendQueue<Array<Buffer | string>>;
  readonly #recent = new RecentIds(4096);
  #closed = false;
  #address = '';

  private constructor(
    private readonly routes: LocalRoutes,
    private readonly logger: Logger,
    lingerMs: number,
  ) {
    // mandatory: a reply to a caller that went away fails (and is logged) instead of vanishing;
    // handover: a caller reconnecting with its routing id takes over its old identity at once.
    this.#router = new Router({ mandatory: true, handover: true, linger: lingerMs, sendTimeout: 1000, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
    this.#queue = new SendQueue((frames) => this.#router.send(frames));
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
  async sendTo(identity: Buffer, frames: string[], what: string): Promise<void> {
    if (this.#closed) {
      this.logger.warn(`Server socket closed: dropping ${what}`);
      return;
    }
    try {
      await this.#queue.send([identity, ...frames]);
    } catch (err) {
      this.logger.warn(`The caller went away: dropping ${what}`, { err });
    }
  }

  async #receive(): Promise<void> {
    try {
      for await (const [identity, ...frames] of this.#router) {
        if (identity === undefined) continue;
        this.#handle(identity, frames);
      }
    } catch (err) {
      if (!this.#closed) this.logger.error('The ZeroMQ server socket stopped receiving', { err });
    }
  }

  #handle(identity: Buffer, frames: Buffer[]): void {
    let request: RequestFrames;
    try {
      request = decodeRequest(frames);
    } catch (err) {
      this.logger.error('Dropping a malformed ZeroMQ request', { err });
      const msgId = frames[2]?.toString('utf8');
      if (err instanceof MalformedMessage && msgId) void this.sendTo(identity, encodeNack(msgId, `malformed: ${err.message}`), 'a NACK');
      return;
    }
    const endpoints = this.routes.resolve(request);
    if (endpoints.length === 0) {
      const what = request.server ? `${request.topic}/${request.server}` : request.topic;
      void this.sendTo(identity, encodeNack(request.msgId, `no endpoint for ${what} here`), 'a NACK');
      return;
    }
    const duplicate = this.#recent.seen(request.msgId);
    void this.sendTo(identity, encodeAck(request.msgId), 'an ACK');
    if (duplicate) {
      this.logger.info(`Duplicate message detected: ignoring ${request.msgId}`);
      return;
    }
    for (const e of endpoints) {
      try {
        e.deliver(request, identity);
      } catch (err) {
        this.logger.error('Failed to deliver a message', { err, type: request.type === MessageType.CALL ? 'call' : request.type });
      }
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.failAll(new Error('server socket closed'));
    this.#router.close();
  }
}
