import { MessagingTimeout } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RemoteErrorCodec } from '../spi/driver.js';
import { DeadlineHeap, OperationBound, type AbortHook, type DeadlineEntry, type Operation } from '../operations.js';
import { deserializeEnvelope } from './envelope.js';

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
    readonly waiters: Map<string, Waiter>,
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
  if (w.operation) w.operation.offAbort(w);
  if (w.signal) w.signal.removeEventListener('abort', w.onAbortEvent!);
  if (failed) w.reject(outcome as Error);
  else w.resolve(outcome);
}

function armMonitor(w: Waiter): void {
  if (w.callMonitorTimeout === undefined) return;
  clearTimeout(w.monitor);
  w.monitor = setTimeout(() => {
    settle(w, new MessagingTimeout(`Timed out waiting for a reply to message ID ${w.msgId}: call monitor timed out`), true);
  }, w.callMonitorTimeout * 1000);
}

const EMPTY_OPTIONS = {};

/**
 * The calls of a transport that wait for replies, keyed by `_msg_id`: the overall timeout, the
 * call-monitor timer restarted by heartbeats, and oslo's reply rules (a `failure` rejects, an empty
 * non-final reply is a heartbeat, a final reply resolves). Drivers share it instead of each
 * re-implementing the timing.
 */
export class ReplyWaiters {
  readonly #waiters = new Map<string, Waiter>();
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
  wait(
    msgId: string,
    options: { timeout?: number | undefined; deadline?: number | undefined; callMonitorTimeout?: number | undefined; signal?: AbortSignal | undefined },
    explainTimeout?: () => string | undefined,
  ): Promise<unknown> {
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
    w.due = opts.deadline !== undefined ? opts.deadline : Date.now() + (opts.timeout ?? 60) * 1000;
    this.#deadlines.add(w);
    armMonitor(w);
    // Core's own sends carry their operation: hook into it rather than into an AbortSignal (no
    // signal, no listener per call). Anything else goes through the signal.
    const operation = OperationBound.operationOf(opts);
    if (operation) {
      if (operation.settled) w.abort(operation.signal.reason instanceof Error ? operation.signal.reason : new MessagingTimeout(`The caller stopped waiting for a reply to message ID ${msgId}`));
      else {
        w.operation = operation;
        operation.onAbort(w);
      }
    } else if (opts.signal) {
      const signal = opts.signal;
      const onAbort = () => settle(w, signal.reason instanceof Error ? signal.reason : new MessagingTimeout(`The caller stopped waiting for a reply to message ID ${msgId}`), true);
      if (signal.aborted) onAbort();
      else {
        w.signal = signal;
        w.onAbortEvent = onAbort;
        signal.addEventListener('abort', onAbort, { once: true });
      }
    }
    if (this.#waiters.size > this.#warnAt) {
      this.logger.warn(`Number of call waiters is greater than warning threshold: ${this.#warnAt}. There could be a leak.`);
      this.#warnAt *= 2;
    }
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
    if (reply['failure']) settle(w, this.remoteErrors.deserialize(reply['failure']), true);
    else if (reply['result'] == null && !reply['ending']) armMonitor(w);
    else settle(w, reply['result'] ?? null, false);
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
    const w = this.#waiters.get(msgId);
    if (w) settle(w, error, true);
  }

  /** Fails every waiting call (transport cleaned up). */
  rejectAll(error: Error): void {
    for (const w of [...this.#waiters.values()]) settle(w, error, true);
  }
}
