/** Marks a method as callable under {@link ExplicitRPCAccessPolicy}. */
export const EXPOSED: unique symbol = Symbol.for('oslo.messaging.exposed') as never;

/**
 * Marks an endpoint method as remotely callable (Python: `@expose`). Works as a wrapper
 * (`ping = expose(function (ctxt, args) {...})`) and as a TypeScript/ES method decorator (`@expose`).
 *
 * @example
 * ```ts
 * class ComputeManager {
 *   target = { version: '6.2' };
 *   get_console_output = expose((ctxt, { instance }) => consoleOf(instance));
 *   sync_power_states() {} // not exposed: NoSuchMethod under ExplicitRPCAccessPolicy
 * }
 * getRpcServer(transport, target, [new ComputeManager()], { accessPolicy: ExplicitRPCAccessPolicy });
 * ```
 *
 * @typeParam F - the method's type, kept as it is
 * @param fn - the endpoint method
 * @returns `fn` itself, marked
 */
export function expose<F extends (...args: never[]) => unknown>(fn: F, _context?: ClassMethodDecoratorContext): F {
  Object.defineProperty(fn, EXPOSED, { value: true });
  return fn;
}

/** Decides which endpoint methods clients may invoke (Python: `RPCAccessPolicyBase`). */
export interface RPCAccessPolicy {
  /** Whether clients may call `method` on `endpoint`; a refused method fails with `NoSuchMethod`. */
  isAllowed(endpoint: object, method: string): boolean;
}

const FORBIDDEN = new Set(['constructor', 'target', 'then', ...Object.getOwnPropertyNames(Object.prototype)]);

function isMethod(endpoint: object, method: string): boolean {
  if (FORBIDDEN.has(method)) return false;
  return typeof (endpoint as Record<string, unknown>)[method] === 'function';
}

/** Any method except `_`-prefixed ones (the default, as in oslo). */
export const DefaultRPCAccessPolicy: RPCAccessPolicy = {
  isAllowed: (endpoint, method) => !method.startsWith('_') && isMethod(endpoint, method),
};

/** Only methods marked with {@link expose}. */
export const ExplicitRPCAccessPolicy: RPCAccessPolicy = {
  isAllowed: (endpoint, method) =>
    isMethod(endpoint, method) && (endpoint as Record<string, { [EXPOSED]?: boolean }>)[method]?.[EXPOSED] === true,
};

/** Every method, `_`-prefixed ones included (oslo's legacy behaviour). Never `Object.prototype` members. */
export const LegacyRPCAccessPolicy: RPCAccessPolicy = {
  isAllowed: (endpoint, method) => isMethod(endpoint, method),
};
