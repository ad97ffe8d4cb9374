import { ExpectedException } from '../errors.js';

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Wraps an endpoint method so the listed error classes are treated as expected: the server logs
 * them at debug level only and the caller still receives the original error
 * (Python: `@expected_exceptions`). Usable as a wrapper or a method decorator.
 *
 * @example
 * ```ts
 * class ComputeManager {
 *   resize = expectedExceptions(ValueError)((ctxt, { flavor }) => {
 *     if (flavor === 'm1.tiny') throw new ValueError('flavor too small'); // logged at debug only
 *   });
 * }
 * ```
 *
 * @param classes - the error classes the method may raise as part of its contract
 * @returns a function that wraps (or decorates) the endpoint method
 */
export function expectedExceptions(...classes: ErrorClass[]) {
  return function wrap<F extends (this: unknown, ...args: never[]) => unknown>(
    fn: F,
    _context?: ClassMethodDecoratorContext,
  ): F {
    const wrapped = async function (this: unknown, ...args: Parameters<F>) {
      try {
        return await fn.apply(this, args);
      } catch (err) {
        if (classes.some((c) => err instanceof c)) throw new ExpectedException(err);
        throw err;
      }
    };
    for (const sym of Object.getOwnPropertySymbols(fn))
      Object.defineProperty(wrapped, sym, { value: (fn as unknown as Record<symbol, unknown>)[sym] });
    return wrapped as unknown as F;
  };
}
