import { MalformedMessage, NoSuchMethod, UnsupportedVersion } from '../errors.js';
import { NoOpSerializer, type Serializer } from '../serializer.js';
import type { Context } from '../spi/driver.js';
import { Target } from '../target.js';
import { versionIsCompatible } from '../version.js';
import { DefaultRPCAccessPolicy, type RPCAccessPolicy } from './access-policy.js';
import { isThenable } from '../maybe-async.js';

/**
 * An RPC endpoint: an object whose methods take `(ctxt, args)` and return a result (or a promise).
 * It may declare a `target` property (a `Target` or its fields: namespace, version) to scope its
 * methods, as in oslo; anything else there is refused with a TypeError when the server is created.
 */
export type RpcEndpoint = object;

/** The RPC request as handed to the dispatcher. */
export interface DispatchRequest {
  /** The request context as received (before the serializer). */
  readonly ctxt: Context;
  /** The request: `method`, `args`, and optionally `namespace` and `version`. */
  readonly message: Readonly<Record<string, unknown>>;
}

interface DispatchEntry {
  readonly endpoint: RpcEndpoint;
  readonly target: Target;
  readonly namespaces: ReadonlyArray<string | undefined>;
  /** `versionIsCompatible(target.version ?? '1.0', requested)` by requested version, remembered. */
  readonly compatible: Map<string, boolean>;
}

/** At most this many requested versions are remembered per endpoint (they come from the wire). */
const MAX_REMEMBERED_VERSIONS = 64;

function compatible(e: DispatchEntry, version: string): boolean {
  let ok = e.compatible.get(version);
  if (ok === undefined) {
    ok = versionIsCompatible(e.target.version ?? '1.0', version);
    if (e.compatible.size < MAX_REMEMBERED_VERSIONS) e.compatible.set(version, ok);
  }
  return ok;
}

/** The default serializer, shared: the dispatcher skips its no-op steps. */
const NOOP_SERIALIZER = new NoOpSerializer();

type EndpointMethod = (ctxt: unknown, args: Record<string, unknown>) => unknown;

/** Routes an RPC request to the endpoint method that serves it (Python: `RPCDispatcher`). */
export class RPCDispatcher {
  readonly #endpoints: ReadonlyArray<DispatchEntry>;

  /** @throws TypeError when an endpoint's `target` is not a `Target` or its fields */
  constructor(
    endpoints: readonly RpcEndpoint[],
    /** Rebuilds arguments and the context, serializes results. */
    readonly serializer: Serializer<unknown> = NOOP_SERIALIZER,
    /** Which methods may be invoked. */
    readonly accessPolicy: RPCAccessPolicy = DefaultRPCAccessPolicy,
  ) {
    this.#endpoints = endpoints.map((endpoint) => {
      const t = (endpoint as { target?: unknown }).target;
      if (t !== undefined && (typeof t !== 'object' || t === null || typeof t === 'function')) {
        throw new TypeError(
          `Endpoint ${endpoint.constructor?.name ?? 'object'} has a "target" attribute that is not a Target`,
        );
      }
      const target = t === undefined ? new Target() : Target.from(t);
      return { endpoint, target, namespaces: target.acceptedNamespaces, compatible: new Map<string, boolean>() };
    });
  }

  /** The endpoints, for introspection. */
  get endpoints(): readonly RpcEndpoint[] {
    return this.#endpoints.map((e) => e.endpoint);
  }

  /**
   * Invokes the method the request names and returns its serialized result. Throws
   * `NoSuchMethod`, `UnsupportedVersion`, `MalformedMessage` or whatever the method throws.
   *
   * @throws {@link index!NoSuchMethod} when an endpoint serves the namespace and version but not the method
   * @throws {@link index!UnsupportedVersion} when no endpoint serves the namespace and version
   * @throws {@link index!MalformedMessage} when the request has no method name or its arguments are not an object
   */
  async dispatch(incoming: DispatchRequest): Promise<unknown> {
    return await this.invoke(incoming);
  }

  /**
   * {@link RPCDispatcher.dispatch} without the promise where none is needed: returns the serialized result
   * itself when the method and the serializer's steps return plain values, else a promise of it; throws
   * (synchronously) what `dispatch` rejects with, when it is known before the first promise.
   * @internal
   */
  invoke(incoming: DispatchRequest): unknown {
    const { message } = incoming;
    const method = message['method'];
    if (typeof method !== 'string' || method === '') throw new MalformedMessage('RPC request has no method name');
    const rawArgs = message['args'] ?? {};
    if (typeof rawArgs !== 'object' || rawArgs === null || Array.isArray(rawArgs))
      throw new MalformedMessage(`Arguments of ${method} are not an object`);
    const namespace = typeof message['namespace'] === 'string' ? message['namespace'] : undefined;
    const version = typeof message['version'] === 'string' ? message['version'] : '1.0';
    let foundCompatible = false;
    for (const e of this.#endpoints) {
      if (!e.namespaces.includes(namespace)) continue;
      if (!compatible(e, version)) continue;
      foundCompatible = true;
      if (!this.accessPolicy.isAllowed(e.endpoint, method)) continue;
      return this.#invokeOn(e.endpoint, method, incoming.ctxt, rawArgs as Record<string, unknown>);
    }
    if (foundCompatible) throw new NoSuchMethod(method);
    throw new UnsupportedVersion(version, method);
  }

  /** Rebuilds the context and arguments, calls the method, serializes its result: at once while nothing is a promise. */
  #invokeOn(endpoint: RpcEndpoint, method: string, wireCtxt: Context, rawArgs: Record<string, unknown>): unknown {
    const serializer = this.serializer;
    const fn = (endpoint as Record<string, EndpointMethod>)[method]!;
    // The default serializer changes nothing: the arguments as decoded from the wire are the endpoint's.
    if (serializer === NOOP_SERIALIZER) return fn.call(endpoint, wireCtxt, rawArgs);
    const ctxt = serializer.deserializeContext(wireCtxt);
    if (isThenable(ctxt)) return this.#invokeLater(endpoint, method, ctxt, rawArgs, {}, 0, undefined);
    const args: Record<string, unknown> = {};
    const keys = Object.keys(rawArgs);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const v = serializer.deserializeEntity(ctxt, rawArgs[k]);
      if (isThenable(v)) return this.#invokeLater(endpoint, method, ctxt, rawArgs, args, i, v);
      args[k] = v;
    }
    const result = fn.call(endpoint, ctxt, args);
    if (isThenable(result)) return this.#serializeLater(ctxt, result);
    return serializer.serializeEntity(ctxt, result);
  }

  /** {@link RPCDispatcher.#invokeOn} from the first step that returned a promise (`pending`, for argument `from`). */
  async #invokeLater(
    endpoint: RpcEndpoint,
    method: string,
    pendingCtxt: unknown,
    rawArgs: Record<string, unknown>,
    args: Record<string, unknown>,
    from: number,
    pending: PromiseLike<unknown> | undefined,
  ): Promise<unknown> {
    const serializer = this.serializer;
    const ctxt: unknown = await pendingCtxt;
    const keys = Object.keys(rawArgs);
    if (pending !== undefined) args[keys[from++]!] = await pending;
    for (let i = from; i < keys.length; i++)
      args[keys[i]!] = await serializer.deserializeEntity(ctxt, rawArgs[keys[i]!]);
    const result: unknown = await (endpoint as Record<string, EndpointMethod>)[method]!.call(endpoint, ctxt, args);
    return await serializer.serializeEntity(ctxt, result);
  }

  async #serializeLater(ctxt: unknown, pending: PromiseLike<unknown>): Promise<unknown> {
    const result = await pending;
    return await this.serializer.serializeEntity(ctxt, result);
  }
}
