import type { Context, IncomingMessage, IncomingMessageInit, Reply } from '../spi/driver.js';

const RESOLVED: Promise<void> = Promise.resolve();

/** Runs a settle function that may be synchronous, as a promise that never throws synchronously. */
function settled(fn: () => void | Promise<void>): Promise<void> {
  try {
    return fn() ?? RESOLVED;
  } catch (err) {
    return Promise.reject(err);
  }
}

/** `DriverContext.incoming`'s product: one object of one shape per message, what the driver left out doing nothing. */
class BuiltIncomingMessage implements IncomingMessage {
  readonly ctxt: Context;
  readonly message: Readonly<Record<string, unknown>>;
  readonly clientTimeout: number | null;
  readonly #init: IncomingMessageInit;

  constructor(init: IncomingMessageInit) {
    this.ctxt = init.ctxt;
    this.message = init.message;
    this.clientTimeout = init.clientTimeout ?? null;
    this.#init = init;
  }

  // Called as methods of the init (not detached): a driver may pass one object per message whose
  // `reply` and `heartbeat` are methods of its class, instead of two closures per message.
  reply(reply: Reply): Promise<void> {
    const init = this.#init;
    return init.reply !== undefined ? init.reply(reply) : RESOLVED;
  }

  heartbeat(): Promise<void> {
    const init = this.#init;
    return init.heartbeat !== undefined ? init.heartbeat() : RESOLVED;
  }

  acknowledge(): Promise<void> {
    const ack = this.#init.acknowledge;
    return ack ? settled(ack) : RESOLVED;
  }

  requeue(): Promise<void> {
    const requeue = this.#init.requeue;
    return requeue ? settled(requeue) : RESOLVED;
  }
}

/** Builds an {@link IncomingMessage} from what a driver knows about a message (see `DriverContext.incoming`). */
export function buildIncomingMessage(init: IncomingMessageInit): IncomingMessage {
  return new BuiltIncomingMessage(init);
}
