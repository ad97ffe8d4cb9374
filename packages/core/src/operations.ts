/**
 * The deadline contract, owned by core so that every driver gets it: an operation (a call, a cast,
 * a notification) settles by its deadline whatever the transport is doing, and every operation still
 * pending when the transport is cleaned up is rejected at once. The driver is told through an
 * `AbortSignal` and should stop working on the message; whatever its own promise does afterwards
 * is ignored (and never becomes an unhandled rejection).
 */

/**
 * How long after its deadline core itself settles an operation that the driver has not settled.
 * Drivers time calls out at the deadline itself (with a more specific message); this is the backstop.
 */
export const DEADLINE_SLACK_MS = 250;

/** When an operation must be settled, and the error it gets if the driver has not settled it by then. */
export interface OperationLimit {
  /** `Date.now()` milliseconds. */
  readonly deadline: number;
  readonly onTimeout: () => Error;
}

/** The in-flight operations of one transport. */
export class OperationTracker {
  readonly #live = new Set<(reason: Error) => void>();
  #closed: Error | undefined;

  /** Operations in flight now. */
  get size(): number {
    return this.#live.size;
  }

  /**
   * Runs `op` with a signal that is aborted when `limit` passes (plus {@link DEADLINE_SLACK_MS}) or
   * the tracker is closed; the returned promise settles with `op`'s outcome or with that reason,
   * whichever comes first.
   */
  run<T>(op: (signal: AbortSignal) => Promise<T>, limit?: OperationLimit): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closed);
    const controller = new AbortController();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        settled = true;
        clearTimeout(timer);
        this.#live.delete(fail);
      };
      const fail = (reason: Error) => {
        if (settled) return;
        finish();
        controller.abort(reason);
        reject(reason);
      };
      this.#live.add(fail);
      if (limit) timer = setTimeout(() => fail(limit.onTimeout()), Math.max(0, limit.deadline - Date.now()) + DEADLINE_SLACK_MS);
      let pending: Promise<T>;
      try {
        pending = op(controller.signal);
      } catch (err) {
        pending = Promise.reject(err);
      }
      pending.then(
        (value) => {
          if (settled) return;
          finish();
          resolve(value);
        },
        (err: unknown) => {
          if (settled) return;
          finish();
          reject(err);
        },
      );
    });
  }

  /** Rejects every operation in flight, and every later one, with `reason`. Idempotent. */
  close(reason: Error): void {
    this.#closed ??= reason;
    for (const fail of [...this.#live]) fail(this.#closed);
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
