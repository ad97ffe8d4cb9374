import { MessagingTimeout } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RemoteErrorCodec } from '../spi/driver.js';
import type { ReplyRegistry, ReplyWaitOptions } from '../spi/replies.js';
import { DeadlineHeap, type DeadlineEntry } from '../deadline-heap.js';
import { IdTable } from '../id-table.js';
import { OperationBound, type AbortHook, type Operation } from '../operations.js';
import { DEFAULT_RPC_RESPONSE_TIMEOUT } from '../defaults.js';

const ignore = (): undefined => undefined;

/** One call waiting for its reply: a deadline entry, and the hook its operation aborts. */
class Waiter implements DeadlineEntry, AbortHook {
  due = 0;
  heapIndex = -1;
  monitor: NodeJS.Timeout | undefined;
  signal: AbortSignal | undefined;
  operation: Operation | undefined;
  onAbortEvent: (() => void) | undefined;
  resolve!: (value: unknown) => void;
  reject!: (error: Error) => void;

  constructor(
    readonly waiters: IdTable<Waiter>,
    readonly deadlines: DeadlineHeap<Waiter>,
    readonly msgId: string,
    readonly callMonitorTimeout: number | undefined,
    readonly explainTimeout: (() => string | undefined) | undefined,
  ) {}

  /** The caller gave up (its operation's deadline, or the transport's cleanup). */
  abort(reason: Error): void {
    settle(this, reason, true);
  }
}

/** Ends a waiter: resolves it with `outcome`, or rejects it with `outcome` when `failed`. */
function settle(w: Waiter, outcome: unknown, failed: boolean): void {
  if (w.waiters.get(w.msgId) !== w) return;
  w.waiters.delete(w.msgId);
  w.deadlines.remove(w);
  if (w.monitor !== undefined) clearTimeout(w.monitor);
  if (w.signal) w.signal.removeEventListener('abort', w.onAbortEvent!);
  if (failed) w.reject(outcome as Error);
  else w.resolve(outcome);
  const operation = w.operation;
  if (operation) {
    operation.offAbort(w);
    operation.replied(outcome, failed);
  }
}

function armMonitor(w: Waiter): void {
  if (w.callMonitorTimeout === undefined) return;
  clearTimeout(w.monitor);
  w.monitor = setTimeout(() => {
    settle(
      w,
      new MessagingTimeout(`Timed out waiting for a reply to message ID ${w.msgId}: call monitor timed out`),
      true,
    );
  }, w.callMonitorTimeout * 1000);
}

const EMPTY_OPTIONS = {};

/**
 * Core's {@link ReplyRegistry}: one per transport, given to its driver. Holds the overall deadline of
 * each call (one heap, one timer), the call-monitor timer restarted by heartbeats, and the caller's
 * abort hook; {@link ReplyWaiters.rejectAll} is called by `Transport.cleanup()`.
 */
export class ReplyWaiters implements ReplyRegistry {
  /** By message id: not a `Map`, whose tables kept every settled call alive through young collections (see {@link IdTable}). */
  readonly #waiters = new IdTable<Waiter>();
  readonly #deadlines = new DeadlineHeap<Waiter>((w) => {
    let message: string | undefined;
    try {
      message = w.explainTimeout?.();
    } catch {
      message = undefined;
    }
    settle(w, new MessagingTimeout(message ?? `Timed out waiting for a reply to message ID ${w.msgId}`), true);
  });
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
  wait(msgId: string, options: ReplyWaitOptions, explainTimeout?: () => string | undefined): Promise<unknown> {
    const opts = options ?? EMPTY_OPTIONS;
    const w = new Waiter(this.#waiters, this.#deadlines, msgId, opts.callMonitorTimeout, explainTimeout);
    const waiting = new Promise<unknown>((resolve, reject) => {
      w.resolve = resolve;
      w.reject = reject;
    });
    // A driver may reject the waiter while it still awaits something else (a publish being
    // retried): that must never become an unhandled rejection. The caller still gets the outcome.
    waiting.catch(ignore);
    const previous = this.#waiters.get(msgId);
    if (previous) settle(previous, new MessagingTimeout(`Another call took over message ID ${msgId}`), true);
    this.#waiters.set(msgId, w);
    w.due =
      opts.deadline !== undefined ? opts.deadline : Date.now() + (opts.timeout ?? DEFAULT_RPC_RESPONSE_TIMEOUT) * 1000;
    this.#deadlines.add(w);
    armMonitor(w);
    // Core's own sends carry their operation: hook into it rather than into an AbortSignal (no
    // signal, no listener per call). Anything else goes through the signal.
    const operation = OperationBound.operationOf(opts);
    if (operation) {
      if (operation.settled)
        w.abort(
          operation.signal.reason instanceof Error
            ? operation.signal.reason
            : new MessagingTimeout(`The caller stopped waiting for a reply to message ID ${msgId}`),
        );
      else {
        w.operation = operation;
        operation.onAbort(w);
        operation.expectReply(waiting);
      }
    } else if (opts.signal) {
      const signal = opts.signal;
      const onAbort = () =>
        settle(
          w,
          signal.reason instanceof Error
            ? signal.reason
            : new MessagingTimeout(`The caller stopped waiting for a reply to message ID ${msgId}`),
          true,
        );
      if (signal.aborted) onAbort();
      else {
        w.signal = signal;
        w.onAbortEvent = onAbort;
        signal.addEventListener('abort', onAbort, { once: true });
      }
    }
    if (this.#waiters.size > this.#warnAt) {
      this.logger.warn(
        `Number of call waiters is greater than warning threshold: ${this.#warnAt}. There could be a leak.`,
      );
      this.#warnAt *= 2;
    }
    return waiting;
  }

  /** The final reply of `msgId`. */
  resolve(msgId: string, result: unknown): boolean {
    const w = this.#find(msgId);
    if (!w) return false;
    settle(w, result, false);
    return true;
  }

  /** `msgId` failed: an Error as it is, anything else is oslo's serialized failure. */
  fail(msgId: string, failure: unknown): boolean {
    const local = failure instanceof Error;
    const w = local ? this.#waiters.get(msgId) : this.#find(msgId);
    if (!w) return false;
    settle(w, local ? failure : this.remoteErrors.deserialize(failure), true);
    return true;
  }

  /** A call-monitor heartbeat of `msgId`. */
  heartbeat(msgId: string): boolean {
    const w = this.#find(msgId);
    if (!w) return false;
    armMonitor(w);
    return true;
  }

  /** The waiter of a reply that came from the wire; logs, as oslo does, a reply nobody waits for. */
  #find(msgId: string): Waiter | undefined {
    const w = this.#waiters.get(msgId);
    if (!w) this.logger.info(`No calling threads waiting for msg_id : ${msgId}`);
    return w;
  }

  /** Whether a call with this id is waiting (to refuse replies nobody waits for). */
  has(msgId: string): boolean {
    return this.#waiters.has(msgId);
  }

  /** Fails every waiting call (the transport was cleaned up). Core's, not the driver's. */
  rejectAll(error: Error): void {
    for (const w of this.#waiters.values()) settle(w, error, true);
  }
}
