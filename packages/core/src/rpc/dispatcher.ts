import { MalformedMessage, NoSuchMethod, UnsupportedVersion } from '../errors.js';
import { NoOpSerializer, type Serializer } from '../serializer.js';
import type { Context } from '../spi/driver.js';
import { Target, type TargetFields } from '../target.js';
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

/** Routes an RPC request to the endpoint method that serves it (Python: `RPCDispatcher`). */
export class RPCDispatcher {
  readonly #endpoints: ReadonlyArray<{ endpoint: RpcEndpoint; target: Target }>;

  /** @throws TypeError when an endpoint's `target` is not a `Target` or its fields */
  constructor(
    endpoints: readonly RpcEndpoint[],
    /** Rebuilds arguments and the context, serializes results. */
    readonly serializer: Serializer<unknown> = new NoOpSerializer() as Serializer<unknown>,
    /** Which methods may be invoked. */
    readonly accessPolicy: RPCAccessPolicy = DefaultRPCAccessPolicy,
  ) {
    this.#endpoints = endpoints.map((endpoint) => {
      const t = (endpoint as { target?: unknown }).target;
      if (t !== undefined && (typeof t !== 'object' || t === null || typeof t === 'function')) {
        throw new TypeError(`Endpoint ${endpoint.constructor?.name ?? 'object'} has a "target" attribute that is not a Target`);
      }
      return { endpoint, target: t === undefined ? new Target() : Target.from(t as TargetFields) };
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
   * @throws {@link NoSuchMethod} when an endpoint serves the namespace and version but not the method
   * @throws {@link UnsupportedVersion} when no endpoint serves the namespace and version
   * @throws {@link MalformedMessage} when the request has no method name or its arguments are not an object
   */
  async dispatch(incoming: DispatchRequest): Promise<unknown> {
    const { message } = incoming;
    const method = message['method'];
    if (typeof method !== 'string' || method === '') throw new MalformedMessage('RPC request has no method name');
    const rawArgs = message['args'] ?? {};
    if (typeof rawArgs !== 'object' || rawArgs === null || Array.isArray(rawArgs)) throw new MalformedMessage(`Arguments of ${method} are not an object`);
    const namespace = typeof message['namespace'] === 'string' ? message['namespace'] : undefined;
    const version = typeof message['version'] === 'string' ? message['version'] : '1.0';
    let foundCompatible = false;
    for (const { endpoint, target } of this.#endpoints) {
      if (!target.acceptedNamespaces.includes(namespace)) continue;
      if (!versionIsCompatible(target.version ?? '1.0', version)) continue;
      foundCompatible = true;
      if (!this.accessPolicy.isAllowed(endpoint, method)) continue;
      const ctxt = await this.serializer.deserializeContext(incoming.ctxt);
      const args: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(rawArgs)) args[k] = await this.serializer.deserializeEntity(ctxt, v);
      const fn = (endpoint as Record<string, (c: unknown, a: Record<string, unknown>) => unknown>)[method]!;
      const result = await fn.call(endpoint, ctxt, args);
      return await this.serializer.serializeEntity(ctxt, result);
    }
    if (foundCompatible) throw new NoSuchMethod(method);
    throw new UnsupportedVersion(version, method);
  }
}
