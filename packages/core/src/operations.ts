/**
 * The deadline contract, owned by core so that every driver gets it: an operation (a call, a cast,
 * a notification) settles by its deadline whatever the transport is doing, and every operation still
 * pending when the transport is cleaned up is rejected at once. The driver is told through an
 * `AbortSignal` and should stop working on the message; whatever its own promise does afterwards
 * is ignored (and never becomes an unhandled rejection).
 */
import { DeadlineHeap, type DeadlineEntry } from './deadline-heap.js';

/**
 * How long after its deadline core itself settles an operation that the driver has not settled.
 * Drivers time calls out at the deadline itself (with a more specific message); this is the backstop.
 */
export const DEADLINE_SLACK_MS = 250;

/** When an operation must be settled, and the error it gets if the driver has not settled it by then. */
export interface OperationLimit {
  /** `Date.now()` milliseconds. */
  readonly deadline: number;
  /** Called as a method of the limit (a class instance may carry what its message needs). */
  onTimeout(): Error;
}

/**
 * Base of the {@link SendOptions} core gives a driver: it carries the operation, so that core's own
 * helpers (the reply waiters) learn of its end without an `AbortSignal` listener, and its `signal` is
 * an accessor on the prototype that creates the operation's `AbortSignal` on first read (most drivers
 * never read it on the fast path). An own property defined per send cost a `defineProperty` runtime
 * call and a transition search on every call; a copy of the options (`{ ...options }`) does not carry
 * the accessor, which is why the SPI says to read `signal` from the options given.
 * Internal to core.
 * @internal
 */
export class OperationBound {
  readonly #op: Operation<any>;

  constructor(op: Operation<any>) {
    this.#op = op;
  }

  /** The operation `options` were made for, if core made them (a driver's copy is not). */
  static operationOf(options: object): Operation<any> | undefined {
    return #op in options ? options.#op : undefined;
  }

  /** Aborted when the operation is given up (deadline passed, transport cleaned up); created on first read. */
  get signal(): AbortSignal | undefined {
    return this.#op.signal;
  }
}

/** Told when an operation is given up (deadline passed, transport cleaned up). @internal */
export interface AbortHook {
  abort(reason: Error): void;
}

/**
 * One operation in flight: its deadline entry, its place among the tracker's live operations, and
 * its `AbortSignal`, created only when the driver asks for it (most never read it on the fast path).
 * Internal to core.
 * @internal
 */
export class Operation<T = unknown> implements DeadlineEntry {
  due = 0;
  heapIndex = -1;
  /** @internal */ prev: Operation<any> | undefined;
  /** @internal */ next: Operation<any> | undefined;
  #settled = false;
  #reason: Error | undefined;
  #controller: AbortController | undefined;
  #hook: AbortHook | undefined;
  #hooks: AbortHook[] | undefined;
  #resolve!: (value: T) => void;
  #reject!: (reason: unknown) => void;
  /** The promise of this operation's reply waiter, until it settles (see {@link Operation.adoptReply}). */
  #reply: Promise<unknown> | undefined;
  #settledByReply = false;
  readonly promise: Promise<T>;

  constructor(
    private readonly tracker: OperationTracker,
    readonly limit: OperationLimit | undefined,
    private readonly mapError: ((err: unknown) => unknown) | undefined,
  ) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Whether the operation has settled (by its own outcome or given up). */
  get settled(): boolean {
    return this.#settled;
  }

  /** Aborted when the operation is given up; created on first use. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Calls `hook.abort(reason)` when the operation is given up (not when it settles by itself). */
  onAbort(hook: AbortHook): void {
    if (this.#hook === undefined && this.#hooks === undefined) this.#hook = hook;
    else (this.#hooks ??= []).push(hook);
  }

  /** Forgets a hook given to {@link Operation.onAbort}. */
  offAbort(hook: AbortHook): void {
    if (this.#hook === hook) this.#hook = undefined;
    else if (this.#hooks) {
      const i = this.#hooks.indexOf(hook);
      if (i >= 0) this.#hooks.splice(i, 1);
    }
  }

  /**
   * A reply waiter made `reply` for this operation (core's `ReplyWaiters.wait`, given these send options).
   * @internal
   */
  expectReply(reply: Promise<unknown>): void {
    this.#reply = reply;
  }

  /**
   * The driver returned `pending`: when it is the reply waiter's promise, still pending, the waiter settles
   * this operation itself ({@link Operation.replied}) instead of a reaction on that promise.
   * @internal
   */
  adoptReply(pending: Promise<unknown>): boolean {
    if (this.#reply === undefined || pending !== this.#reply) return false;
    this.#settledByReply = true;
    return true;
  }

  /** The reply waiter settled with `outcome`: settles this operation too if it {@link Operation.adoptReply adopted} it. @internal */
  replied(outcome: unknown, failed: boolean): void {
    this.#reply = undefined;
    if (!this.#settledByReply) return;
    if (failed) this.failWith(outcome);
    else this.succeed(outcome as T);
  }

  /** Settles with the driver's value (ignored once given up). */
  succeed(value: T): void {
    if (this.#settled) return;
    this.#settled = true;
    this.tracker.forget(this);
    this.#hook = undefined;
    this.#hooks = undefined;
    this.#resolve(value);
  }

  /** Settles with the driver's error (ignored once given up). */
  failWith(err: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.tracker.forget(this);
    this.#hook = undefined;
    this.#hooks = undefined;
    this.#reject(this.mapError ? this.mapError(err) : err);
  }

  /** Gives the operation up: aborts its signal, tells its hooks, rejects the caller with `reason`. */
  abort(reason: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#reason = reason;
    this.tracker.forget(this);
    const hook = this.#hook;
    const hooks = this.#hooks;
    this.#hook = undefined;
    this.#hooks = undefined;
    this.#controller?.abort(reason);
    if (hook) callHook(hook, reason);
    if (hooks) for (const h of hooks) callHook(h, reason);
    this.#reject(this.mapError ? this.mapError(reason) : reason);
  }
}

function callHook(hook: AbortHook, reason: Error): void {
  try {
    hook.abort(reason);
  } catch {
    // A hook must not keep the caller from being settled.
  }
}

/** The in-flight operations of one transport. */
export class OperationTracker {
  /** Live operations, a doubly linked list (no hashing per operation). */
  #head: Operation<any> | undefined;
  #size = 0;
  #closed: Error | undefined;
  readonly #deadlines = new DeadlineHeap<Operation<any>>((op) => {
    let reason: Error;
    try {
      reason = op.limit!.onTimeout();
    } catch (err) {
      reason = err instanceof Error ? err : new Error(String(err));
    }
    op.abort(reason);
  });

  /** Operations in flight now. */
  get size(): number {
    return this.#size;
  }

  /**
   * Runs `op` with a signal that is aborted when `limit` passes (plus {@link DEADLINE_SLACK_MS}) or
   * the tracker is closed; the returned promise settles with `op`'s outcome or with that reason,
   * whichever comes first.
   */
  run<T>(op: (signal: AbortSignal) => Promise<T>, limit?: OperationLimit): Promise<T> {
    return this.start((o) => op(o.signal), limit);
  }

  /**
   * {@link OperationTracker.run} for core's own senders: `op` gets the {@link Operation}, whose signal
   * is only created if asked for; every rejection (the driver's, the deadline's, the tracker's
   * closing) goes through `mapError` first.
   * @internal
   */
  start<T>(
    op: (operation: Operation<T>) => Promise<T>,
    limit?: OperationLimit,
    mapError?: (err: unknown) => unknown,
  ): Promise<T> {
    if (this.#closed) return Promise.reject(mapError ? mapError(this.#closed) : this.#closed);
    const o = new Operation<T>(this, limit, mapError);
    const head = this.#head;
    o.next = head;
    if (head) head.prev = o;
    this.#head = o;
    this.#size++;
    if (limit) {
      o.due = limit.deadline + DEADLINE_SLACK_MS;
      this.#deadlines.add(o);
    }
    let pending: Promise<T>;
    try {
      pending = op(o);
    } catch (err) {
      o.failWith(err);
      return o.promise;
    }
    if (pending === null || typeof (pending as { then?: unknown } | undefined)?.then !== 'function') {
      o.succeed(pending as T);
      return o.promise;
    }
    // The driver handed back the reply waiter's own promise: the waiter settles the operation directly.
    if (o.adoptReply(pending)) return o.promise;
    // Also when the operation was given up while `op` ran: its later outcome is ignored, never unhandled.
    pending.then(
      (value) => o.succeed(value),
      (err: unknown) => o.failWith(err),
    );
    return o.promise;
  }

  /** Takes a settled operation out of the live list and the deadline heap. @internal */
  forget(o: Operation<any>): void {
    if (o.prev === undefined && o.next === undefined && this.#head !== o) return;
    if (o.prev) o.prev.next = o.next;
    else this.#head = o.next;
    if (o.next) o.next.prev = o.prev;
    o.prev = o.next = undefined;
    this.#size--;
    this.#deadlines.remove(o);
  }

  /** Rejects every operation in flight, and every later one, with `reason`. Idempotent. */
  close(reason: Error): void {
    this.#closed ??= reason;
    const live: Operation<any>[] = [];
    for (let o = this.#head; o; o = o.next) live.push(o);
    for (const o of live) o.abort(this.#closed);
  }
}

/**
 * Resolves with `work`'s outcome, or after `ms` with `undefined` (and `onLate` called): for shutdown
 * steps that must not hang on a frozen peer. `work`'s later rejection is ignored.
 */
export async function boundedWait<T>(work: Promise<T>, ms: number, onLate: () => void): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      onLate();
      resolve(undefined);
    }, ms);
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `work`, or a rejection with `signal.reason` as soon as `signal` aborts (without waiting for
 * `work`, whose later outcome is ignored). For drivers: stop waiting for a connection, credit or a
 * confirm when the caller gave up.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** The reason of an aborted signal as an Error (a non-Error reason is wrapped). */
export function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error(`Aborted: ${String(r)}`);
}
