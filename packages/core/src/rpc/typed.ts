import type { Context } from '../spi/driver.js';
import type { Target, TargetFields } from '../target.js';
import type { PrepareOptions, RpcInvoker } from './client-api.js';

/**
 * An RPC API contract: each method takes one keyword-arguments object and returns its result.
 *
 * ```ts
 * interface ComputeAPI {
 *   ping(args: { arg: string }): { service: string; arg: string };
 *   reboot(args: { instanceId: string; hard?: boolean }): void;
 * }
 * ```
 */
export type RpcApi<API> = { [K in keyof API]: (args: never) => unknown };

/** The arguments object of an API method. */
export type RpcArgs<F> = F extends (args: infer A) => unknown ? A : never;
/** The result of an API method (promises unwrapped). */
export type RpcResult<F> = F extends (...args: never[]) => infer R ? Awaited<R> : never;

type Params<Ctxt, A> = [A] extends [undefined]
  ? [ctxt: Ctxt, args?: A]
  : // `{} extends A`: every property of A is optional, so the arguments may be left out.
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    {} extends A
    ? [ctxt: Ctxt, args?: A]
    : [ctxt: Ctxt, args: A];
type MethodNames<API> = Extract<keyof API, string>;

/** The casting half of a {@link TypedClient}: same methods, resolving once sent. */
export type TypedCaster<API, Ctxt> = {
  readonly [K in MethodNames<API>]: (...params: Params<Ctxt, RpcArgs<API[K]>>) => Promise<void>;
};

/**
 * A typed handle on an RPC client: `await compute.ping(ctxt, { arg })` is a `call` whose method
 * name, arguments and result are checked against `API`; `compute.cast.ping(...)` casts;
 * `compute.prepare({...})` returns a typed handle with overrides. Nothing changes on the wire.
 */
export type TypedClient<API, Ctxt = Context, Client extends RpcInvoker<Ctxt> = RpcInvoker<Ctxt>> = {
  readonly [K in MethodNames<API>]: (...params: Params<Ctxt, RpcArgs<API[K]>>) => Promise<RpcResult<API[K]>>;
} & {
  /** The same methods as casts: `await compute.cast.reboot(ctxt, { instanceId })` resolves once sent. */
  readonly cast: TypedCaster<API, Ctxt>;
  /** A typed handle on `client.prepare(overrides)` (server, version, timeout, fanout, ...). */
  prepare(overrides: PrepareOptions): TypedClient<API, Ctxt, Client>;
  /** The untyped client underneath. */
  readonly client: Client;
};

/**
 * What a server endpoint must provide to serve `API`: every method, taking `(ctxt, args)` and
 * returning the result (or a promise of it). Use with `implements` or {@link implementsApi}.
 */
export type TypedEndpoint<API, Ctxt = Context> = {
  [K in MethodNames<API>]: (ctxt: Ctxt, args: RpcArgs<API[K]>) => RpcResult<API[K]> | Promise<RpcResult<API[K]>>;
} & {
  /** The namespace and version the endpoint serves (optional, as for any endpoint). */
  readonly target?: Target | TargetFields | undefined;
};

const RESERVED = new Set(['cast', 'prepare', 'client', 'then']);

function methodProxy<T extends object>(make: (method: string) => unknown, extra: Record<string, unknown>): T {
  const cache = new Map<string, unknown>();
  return new Proxy(extra, {
    get(target, prop) {
      if (typeof prop !== 'string') return undefined;
      if (prop in target) return target[prop];
      if (prop === 'then') return undefined; // never look like a promise
      let fn = cache.get(prop);
      if (!fn) {
        fn = make(prop);
        cache.set(prop, fn);
      }
      return fn;
    },
  }) as T;
}

/** Builds a {@link TypedClient} over an RPC client; prefer `client.proxy<API>()`. */
export function typedClient<
  API extends RpcApi<API>,
  Ctxt = Context,
  Client extends RpcInvoker<Ctxt> = RpcInvoker<Ctxt>,
>(client: Client): TypedClient<API, Ctxt, Client> {
  const cast = methodProxy<TypedCaster<API, Ctxt>>(
    (method) =>
      (ctxt: Ctxt, args: Record<string, unknown> = {}) =>
        client.cast(ctxt, method, args),
    {},
  );
  return methodProxy<TypedClient<API, Ctxt, Client>>(
    (method) => {
      if (RESERVED.has(method)) throw new TypeError(`"${method}" cannot be an RPC method name of a typed client`);
      return (ctxt: Ctxt, args: Record<string, unknown> = {}) => client.call(ctxt, method, args);
    },
    {
      cast,
      client,
      prepare: (overrides: PrepareOptions) => typedClient<API, Ctxt, Client>(client.prepare(overrides) as Client),
    },
  );
}

/**
 * Checks at compile time that `endpoint` implements `API` and returns it unchanged:
 * `getRpcServer(transport, target, [implementsApi<ComputeAPI>()(new ComputeManager())])`.
 */
export function implementsApi<API extends RpcApi<API>, Ctxt = Context>() {
  return <E extends TypedEndpoint<API, Ctxt>>(endpoint: E): E => endpoint;
}
