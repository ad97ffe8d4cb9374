import { MalformedMessage, NoSuchMethod, UnsupportedVersion } from '../errors.js';
import { NoOpSerializer, type Serializer } from '../serializer.js';
import type { Context } from '../spi/driver.js';
import { Target } from '../target.js';
import { versionIsCompatible } from '../version.js';
import { DefaultRPCAccessPolicy, type RPCAccessPolicy } from './access-policy.js';

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

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';

/** Routes an RPC request to the endpoint method that serves it (Python: `RPCDispatcher`). */
export class RPCDispatcher {
  readonly #endpoints: ReadonlyArray<DispatchEntry>;

  /** @throws TypeError when an endpoint's `target` is not a `Target` or its fields */
  constructor(
    endpoints: readonly RpcEndpoint[],
    /** Rebuilds arguments and the context, serializes results. */
    readonly serializer: Serializer<unknown> = new NoOpSerializer(),
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
      const { endpoint } = e;
      if (!this.accessPolicy.isAllowed(endpoint, method)) continue;
      // The serializer's steps are awaited only when they return promises (NoOpSerializer never does).
      let ctxt = this.serializer.deserializeContext(incoming.ctxt);
      if (isThenable(ctxt)) ctxt = await ctxt;
      const args: Record<string, unknown> = {};
      const keys = Object.keys(rawArgs);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        let v = this.serializer.deserializeEntity(ctxt, (rawArgs as Record<string, unknown>)[k]);
        if (isThenable(v)) v = await v;
        args[k] = v;
      }
      const fn = (endpoint as Record<string, (c: unknown, a: Record<string, unknown>) => unknown>)[method]!;
      let result = fn.call(endpoint, ctxt, args);
      if (isThenable(result)) result = await result;
      const out = this.serializer.serializeEntity(ctxt, result);
      return isThenable(out) ? await out : out;
    }
    if (foundCompatible) throw new NoSuchMethod(method);
    throw new UnsupportedVersion(version, method);
  }
}
