import { MessagingTimeout } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RemoteErrorCodec } from '../spi/driver.js';
import { deserializeEnvelope } from './envelope.js';

interface Waiter {
  resolve(value: unknown): void;
  reject(error: Error): void;
  heartbeat(): void;
}

/**
 * The calls of a transport that wait for replies, keyed by `_msg_id`: the overall timeout, the
 * call-monitor timer restarted by heartbeats, and oslo's reply rules (a `failure` rejects, an empty
 * non-final reply is a heartbeat, a final reply resolves). Drivers share it instead of each
 * re-implementing the timing.
 */
export class ReplyWaiters {
  readonly #waiters = new Map<string, Waiter>();
  #warnAt = 10;

  constructor(
    private readonly logger: Logger,
    private readonly remoteErrors: RemoteErrorCodec,
  ) {}

  /** Calls waiting now. */
  get size(): number {
    return this.#waiters.size;
  }

  /**
   * Registers a call before its request is sent; resolves with the result or rejects with the remote
   * error or `MessagingTimeout` (at `deadline`, else after `timeout` s, or `callMonitorTimeout` s
   * without a heartbeat). An aborted `signal` drops the waiter and rejects with the signal's reason.
   * `explainTimeout`, asked when the overall timeout strikes, may give a more useful message (e.g. "no
   * server took the call").
   */
  wait(
    msgId: string,
    options: { timeout?: number | undefined; deadline?: number | undefined; callMonitorTimeout?: number | undefined; signal?: AbortSignal | undefined },
    explainTimeout?: () => string | undefined,
  ): Promise<unknown> {
    const waiting = new Promise((resolve, reject) => {
      let monitor: NodeJS.Timeout | undefined;
      const signal = options.signal;
      const onAbort = () => {
        finish();
        reject(signal?.reason instanceof Error ? signal.reason : new MessagingTimeout(`The caller stopped waiting for a reply to message ID ${msgId}`));
      };
      const finish = () => {
        clearTimeout(overall);
        clearTimeout(monitor);
        signal?.removeEventListener('abort', onAbort);
        this.#waiters.delete(msgId);
      };
      const overall = setTimeout(() => {
        finish();
        reject(new MessagingTimeout(explainTimeout?.() ?? `Timed out waiting for a reply to message ID ${msgId}`));
      }, options.deadline !== undefined ? Math.max(0, options.deadline - Date.now()) : (options.timeout ?? 60) * 1000);
      const arm = () => {
        if (options.callMonitorTimeout === undefined) return;
        clearTimeout(monitor);
        monitor = setTimeout(() => {
          finish();
          reject(new MessagingTimeout(`Timed out waiting for a reply to message ID ${msgId}: call monitor timed out`));
        }, options.callMonitorTimeout * 1000);
      };
      arm();
      this.#waiters.set(msgId, {
        resolve: (v) => (finish(), resolve(v)),
        reject: (e) => (finish(), reject(e)),
        heartbeat: arm,
      });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      if (this.#waiters.size > this.#warnAt) {
        this.logger.warn(`Number of call waiters is greater than warning threshold: ${this.#warnAt}. There could be a leak.`);
        this.#warnAt *= 2;
      }
    });
    // A driver may reject the waiter while it still awaits something else (a publish being
    // retried): that must never become an unhandled rejection. The caller still gets the outcome.
    waiting.catch(() => undefined);
    return waiting;
  }

  /** Applies a decoded reply (`_msg_id`, `result`, `failure`, `ending`) to its waiting call. */
  onReply(reply: Readonly<Record<string, unknown>>): void {
    const msgId = reply['_msg_id'];
    const w = typeof msgId === 'string' ? this.#waiters.get(msgId) : undefined;
    if (!w) {
      this.logger.info(`No calling threads waiting for msg_id : ${String(msgId)}`);
      return;
    }
    if (reply['failure']) w.reject(this.remoteErrors.deserialize(reply['failure']));
    else if (reply['result'] == null && !reply['ending']) w.heartbeat();
    else w.resolve(reply['result'] ?? null);
  }

  /** Decodes a reply body (oslo envelope) and applies it; a malformed reply is logged and dropped. */
  onReplyBody(body: Uint8Array | string): void {
    let data: Record<string, unknown>;
    try {
      data = deserializeEnvelope(body);
    } catch (err) {
      this.logger.warn('Dropping a malformed reply', { err });
      return;
    }
    this.onReply(data);
  }

  /** Whether a call with this id is waiting (to refuse replies nobody waits for). */
  has(msgId: string): boolean {
    return this.#waiters.has(msgId);
  }

  /** Fails one waiting call (e.g. its request could not be sent). */
  reject(msgId: string, error: Error): void {
    this.#waiters.get(msgId)?.reject(error);
  }

  /** Fails every waiting call (transport cleaned up). */
  rejectAll(error: Error): void {
    for (const w of [...this.#waiters.values()]) w.reject(error);
  }
}
