import { RESOLVED } from '../maybe-async.js';
import type { Context, IncomingMessage, IncomingMessageInit, Reply } from '../spi/driver.js';

/**
 * Runs a settle function of `init` that may be synchronous, as a promise that never throws
 * synchronously. Called as a method: a driver's init may be a class instance whose methods use `this`.
 */
function settled(init: IncomingMessageInit, which: 'acknowledge' | 'requeue'): Promise<void> {
  try {
    return init[which]?.() ?? RESOLVED;
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

  // The init's functions are called as its methods (see settled).
  reply(reply: Reply): Promise<void> {
    return this.#init.reply?.(reply) ?? RESOLVED;
  }

  heartbeat(): Promise<void> {
    return this.#init.heartbeat?.() ?? RESOLVED;
  }

  acknowledge(): Promise<void> {
    return settled(this.#init, 'acknowledge');
  }

  requeue(): Promise<void> {
    return settled(this.#init, 'requeue');
  }
}

/** Builds an {@link IncomingMessage} from what a driver knows about a message (see `DriverContext.incoming`). */
export function buildIncomingMessage(init: IncomingMessageInit): IncomingMessage {
  return new BuiltIncomingMessage(init);
}
