/**
 * Helpers for core's hot paths that stay synchronous until something returns a promise: each `await`
 * or `.then` costs a promise and a reaction per message, so work done at once is not wrapped.
 * @internal
 */

/** The one settled promise core hands out for work done at once; comparing with it skips a handler. */
export const RESOLVED: Promise<void> = Promise.resolve();

/** Whether `v` is a promise or another thenable (a serializer's or an endpoint's result may be either). */
export const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
