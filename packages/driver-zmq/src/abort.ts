import { MessagingTimeout } from '@oslo-messaging/core';

/**
 * Waiting that a caller can cut short. Every wait of the driver's slow paths (a pause between
 * matchmaker lookups, a lookup itself, an ACK) ends when the send's `signal` aborts, when its hard
 * deadline passes, or when the driver is cleaned up (`wakers`), so no work outlives the caller.
 */
export interface Interruption {
  readonly signal?: AbortSignal | undefined;
  /** The caller's deadline (ms since epoch), if any. */
  readonly until?: number | undefined;
}

/** Callbacks the driver runs on cleanup to wake every interruptible wait. */
export type Wakers = Set<() => void>;

/**
 * Runs `onAbort` once when `signal` aborts; returns the function that stops listening. No listener
 * and no cost without a signal.
 */
export function whenAborted(signal: AbortSignal | undefined, onAbort: () => void): () => void {
  if (signal === undefined) return noop;
  if (signal.aborted) {
    onAbort();
    return noop;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

function noop(): void {}

/** The error a send gives up with when its caller stopped waiting. */
export function abandonedError(signal: AbortSignal | undefined, what: string): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  return new MessagingTimeout(`Gave up sending to ${what}: the caller stopped waiting`);
}

/** Whether `i` says stop now. */
export function interrupted(i: Interruption): boolean {
  return i.signal?.aborted === true || (i.until !== undefined && Date.now() >= i.until);
}

/**
 * Resolves with `promise`'s value, or with `fallback` as soon as `i` is interrupted (or the driver
 * is cleaned up). `promise`'s rejection is passed on, never left unhandled.
 */
export function bounded<T>(promise: Promise<T>, fallback: T, i: Interruption, wakers: Wakers): Promise<T> {
  if (i.signal === undefined && i.until === undefined) return promise;
  if (i.signal?.aborted) {
    promise.catch(noop);
    return Promise.resolve(fallback);
  }
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (settle: () => void) => {
      clearTimeout(timer);
      stop();
      wakers.delete(wake);
      settle();
    };
    const wake = () => done(() => resolve(fallback));
    const stop = whenAborted(i.signal, wake);
    if (i.until !== undefined) timer = setTimeout(wake, Math.max(0, i.until - Date.now()));
    wakers.add(wake);
    promise.then(
      (v) => done(() => resolve(v)),
      (err: unknown) => done(() => reject(err)),
    );
  });
}

/** Resolves after `ms`, or earlier when `i` is interrupted or the driver is cleaned up. */
export function pause(ms: number, i: Interruption, wakers: Wakers): Promise<void> {
  if (i.signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const wait = i.until === undefined ? ms : Math.min(ms, i.until - Date.now());
    const done = () => {
      clearTimeout(timer);
      stop();
      wakers.delete(done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, wait));
    const stop = whenAborted(i.signal, done);
    wakers.add(done);
  });
}
