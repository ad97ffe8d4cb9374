import {
  ClientSendError,
  InvalidTarget,
  MessagingException,
  MessagingTimeout,
  RPCVersionCapError,
  TransportDriverError,
} from '../errors.js';
import { OperationBound, type Operation, type OperationLimit } from '../operations.js';
import { NoOpSerializer, type Serializer } from '../serializer.js';
import type { Context, RpcRequest, SendOptions } from '../spi/driver.js';
import { assertSendable, Target, type TargetFields } from '../target.js';
import type { Transport } from '../transport.js';
import { assertVersion, versionIsCompatible } from '../version.js';
import { typedClient, type RpcApi, type TypedClient } from './typed.js';
import type { PrepareOptions, RPCClientOptions, RpcInvoker } from './client-api.js';
import { isThenable } from '../maybe-async.js';

export type { PrepareOptions, RPCClientOptions } from './client-api.js';

/** The wire context and the request of one call or cast. */
interface WireRequest {
  readonly ctxt: Context;
  readonly request: RpcRequest;
}

const NOOP_SERIALIZER = new NoOpSerializer();
const NOTHING = (): void => {};

/** The deadline of one call (or cast given a timeout) and its error: one object per send, no closure. */
class SendLimit implements OperationLimit {
  constructor(
    readonly deadline: number,
    readonly timeout: number,
    readonly call: boolean,
    readonly method: string,
    readonly target: Target,
  ) {}

  onTimeout(): Error {
    return new MessagingTimeout(
      `Timed out after ${this.timeout} s waiting for ${this.call ? 'a reply to' : 'sending'} ${this.method} on ${String(this.target)}`,
    );
  }
}

/** The options of one send: the operation's own, with its signal made only if the driver reads it. */
class OperationSendOptions extends OperationBound implements SendOptions {
  constructor(
    op: Operation<unknown>,
    readonly waitForReply: boolean,
    readonly timeout: number | undefined,
    readonly callMonitorTimeout: number | undefined,
    readonly retry: number | null | undefined,
    readonly atLeastOnce: boolean | undefined,
    readonly deadline: number | undefined,
  ) {
    super(op);
  }
}

/**
 * Invokes methods on RPC servers (Python: `RPCClient` / `_CallContext`). Immutable:
 * {@link RPCClient.prepare} returns a new client with overrides.
 */
export class RPCClient<Ctxt = Context> implements RpcInvoker<Ctxt> {
  /** Where messages go: topic, and optionally exchange, namespace, version, server, fanout. */
  readonly target: Target;
  /** The client's options (timeout, versionCap, retry, ...). */
  readonly options: RPCClientOptions<Ctxt>;

  /** @throws {@link MessagingException} when the target's version is not `major.minor` */
  constructor(
    /** The transport messages are sent through. */
    readonly transport: Transport,
    target: Target | TargetFields,
    options: RPCClientOptions<Ctxt> = {},
  ) {
    this.target = Target.from(target);
    this.options = options;
    if (this.target.version !== undefined) assertVersion(this.target.version);
  }

  /**
   * A client with some target fields or options replaced (Python: `prepare`).
   *
   * @throws {@link MessagingException} when the new version is not `major.minor`
   */
  prepare(overrides: PrepareOptions = {}): RPCClient<Ctxt> {
    const { timeout, versionCap, retry, callMonitorTimeout, atLeastOnce, ...targetFields } = overrides;
    if (targetFields.version !== undefined) assertVersion(targetFields.version);
    const opts: Record<string, unknown> = { ...this.options };
    for (const [k, v] of Object.entries({ timeout, versionCap, retry, callMonitorTimeout, atLeastOnce }))
      if (k in overrides) opts[k] = v;
    return new RPCClient<Ctxt>(this.transport, this.target.with(targetFields), opts);
  }

  /**
   * A typed handle checked against an API contract: `client.proxy<ComputeAPI>().ping(ctxt, { arg })`.
   * See {@link TypedClient}; calls and casts go through this client unchanged.
   */
  proxy<API extends RpcApi<API>>(): TypedClient<API, Ctxt, RPCClient<Ctxt>> {
    return typedClient<API, Ctxt, RPCClient<Ctxt>>(this);
  }

  /** Whether a message at `version` (default: the target's) can be sent under the version cap. */
  canSendVersion(version: string | undefined = this.target.version): boolean {
    return versionIsCompatible(this.options.versionCap, version);
  }

  get #serializer(): Serializer<Ctxt> {
    return (this.options.serializer ?? NOOP_SERIALIZER) as Serializer<Ctxt>;
  }

  /** The wire context and request; synchronous unless the serializer returns promises. */
  #makeRequest(ctxt: Ctxt, method: string, args: Record<string, unknown>): WireRequest | Promise<WireRequest> {
    if (typeof method !== 'string' || method === '')
      throw new MessagingException('An RPC method name must be a non-empty string');
    if (args === null || typeof args !== 'object' || Array.isArray(args))
      throw new MessagingException(`Arguments of ${method} must be an object of keyword arguments`);
    const serializer = this.#serializer;
    const serialized: Record<string, unknown> = {};
    const keys = Object.keys(args);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const v = serializer.serializeEntity(ctxt, args[k]);
      if (isThenable(v)) return this.#makeRequestAsync(ctxt, method, args, serialized, i, v);
      serialized[k] = v;
    }
    return this.#finishRequest(ctxt, method, serialized);
  }

  async #makeRequestAsync(
    ctxt: Ctxt,
    method: string,
    args: Record<string, unknown>,
    serialized: Record<string, unknown>,
    from: number,
    first: PromiseLike<unknown>,
  ): Promise<WireRequest> {
    const serializer = this.#serializer;
    const keys = Object.keys(args);
    serialized[keys[from]!] = await first;
    for (let i = from + 1; i < keys.length; i++)
      serialized[keys[i]!] = await serializer.serializeEntity(ctxt, args[keys[i]!]);
    const done = this.#finishRequest(ctxt, method, serialized);
    return isThenable(done) ? await done : done;
  }

  #finishRequest(ctxt: Ctxt, method: string, serialized: Record<string, unknown>): WireRequest | Promise<WireRequest> {
    const request: { method: string; args: Record<string, unknown>; namespace?: string; version?: string } = {
      method,
      args: serialized,
    };
    if (this.target.namespace !== undefined) request.namespace = this.target.namespace;
    if (this.target.version !== undefined) request.version = this.target.version;
    if (this.options.versionCap !== undefined && !versionIsCompatible(this.options.versionCap, this.target.version)) {
      throw new RPCVersionCapError(this.target.version, this.options.versionCap);
    }
    const wireCtxt = this.#serializer.serializeContext(ctxt);
    if (isThenable(wireCtxt))
      return Promise.resolve(wireCtxt as PromiseLike<Context>).then((c) => ({ ctxt: c, request }));
    return { ctxt: wireCtxt, request };
  }

  /**
   * Hands the request to the driver under core's deadline contract: with a `timeout` (calls, and
   * casts given one) the promise settles by it, whatever the driver does; cleanup of the transport
   * rejects it at once.
   */
  #send(ctxt: Context, request: RpcRequest, call: boolean, timeout: number | undefined): Promise<unknown> {
    assertSendable(this.target);
    const metrics = this.transport.metrics;
    if (metrics) {
      const settled = metrics.clientInvocation({
        target: this.target,
        method: request.method,
        callType: call ? 'call' : 'cast',
        timeout,
      });
      return this.#sendTo(ctxt, request, call, timeout).then(
        (value) => (settled(undefined), value),
        (err: unknown) => {
          settled(err);
          throw err;
        },
      );
    }
    return this.#sendTo(ctxt, request, call, timeout);
  }

  #sendTo(ctxt: Context, request: RpcRequest, call: boolean, timeout: number | undefined): Promise<unknown> {
    const driver = this.transport.driver;
    const target = this.target;
    const o = this.options;
    const callMonitorTimeout = o.callMonitorTimeout;
    const retry = o.retry;
    const atLeastOnce = o.atLeastOnce;
    const mapError = this.#mapError;
    // The options are built with the operation (see OperationSendOptions).
    if (timeout === undefined) {
      return this.transport.operations.start<unknown>(
        (op) =>
          driver.send(
            target,
            ctxt,
            request,
            new OperationSendOptions(op, false, undefined, undefined, retry, atLeastOnce, undefined),
          ),
        undefined,
        mapError,
      );
    }
    const limit = new SendLimit(Date.now() + timeout * 1000, timeout, call, request.method, target);
    const deadline = limit.deadline;
    return this.transport.operations.start<unknown>(
      (op) =>
        driver.send(
          target,
          ctxt,
          request,
          call
            ? new OperationSendOptions(op, true, timeout, callMonitorTimeout, retry, atLeastOnce, deadline)
            : new OperationSendOptions(op, false, undefined, undefined, retry, atLeastOnce, deadline),
        ),
      limit,
      mapError,
    );
  }

  readonly #mapError = (err: unknown): unknown =>
    err instanceof TransportDriverError ? new ClientSendError(this.target, err) : err;

  /**
   * Invokes `method` without waiting for a result (Python: `cast`). Resolves once the message is
   * sent. Sending follows `retry` (unset: until the transport is cleaned up); a client given a
   * `timeout` settles by it, with `MessagingTimeout` if the message could not be sent in time.
   *
   * @throws {@link InvalidTarget} when the target has no topic
   * @throws {@link RPCVersionCapError} when the target's version is above `versionCap`
   * @throws {@link MessagingTimeout} when a `timeout` was given and the message could not be sent in time
   * @throws {@link MessageDeliveryFailure} when sending failed after the allowed retries
   * @throws {@link MessageUndeliverable} with `atLeastOnce`, when no queue took the message
   * @throws {@link ClientSendError} when the driver failed (connection lost, transport cleaned up)
   * @throws {@link MessagingException} for an empty method name or arguments that are not an object
   */
  cast(ctxt: Ctxt, method: string, args: Record<string, unknown> = {}): Promise<void> {
    // Not an async function: a cast whose serializer returns plain values costs no await.
    try {
      const made = this.#makeRequest(ctxt, method, args);
      if (isThenable(made)) return Promise.resolve(made).then((m) => this.#cast(m));
      return this.#cast(made);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #cast({ ctxt, request }: WireRequest): Promise<void> {
    return this.#send(ctxt, request, false, this.options.timeout).then(NOTHING);
  }

  /**
   * Invokes `method` and resolves with its result (Python: `call`). Rejects with the remote error
   * (re-created or `RemoteError`), `MessagingTimeout`, `MessageDeliveryFailure` or `MessageUndeliverable`.
   *
   * @typeParam R - the result's type (unchecked; use {@link RPCClient.proxy} for checked types)
   * @throws the endpoint's error: a Python built-in or a class registered with {@link registerRemoteErrors} (when its
   *   module is in `allowedRemoteExmods`), else {@link RemoteError}; {@link NoSuchMethod} / {@link UnsupportedVersion}
   *   arrive as `RemoteError` unless `oslo_messaging.rpc.dispatcher` is allowed
   * @throws {@link MessagingTimeout} when no reply came within the timeout (or no heartbeat within `callMonitorTimeout`);
   *   see docs/troubleshooting.md
   * @throws {@link InvalidTarget} when the target has no topic or is a fanout target
   * @throws {@link RPCVersionCapError} when the target's version is above `versionCap`
   * @throws {@link MessageDeliveryFailure} when sending failed after the allowed retries
   * @throws {@link MessageUndeliverable} with `atLeastOnce`, when no queue took the message
   * @throws {@link ClientSendError} when the driver failed (connection lost, transport cleaned up)
   */
  call<R = unknown>(ctxt: Ctxt, method: string, args: Record<string, unknown> = {}): Promise<R> {
    // Not an async function: with plain values from the serializer, the caller gets the operation's
    // own promise (no await, no promise of ours on top of it).
    try {
      if (this.target.fanout) throw new InvalidTarget('A call cannot be used with fanout', this.target);
      const made = this.#makeRequest(ctxt, method, args);
      if (isThenable(made)) return Promise.resolve(made).then((m) => this.#call<R>(ctxt, m));
      return this.#call<R>(ctxt, made);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #call<R>(ctxt: Ctxt, { ctxt: wireCtxt, request }: WireRequest): Promise<R> {
    const timeout = this.options.timeout ?? this.transport.conf.rpcResponseTimeout;
    const sent = this.#send(wireCtxt, request, true, timeout);
    // NoOpSerializer gives results back as they are: nothing to wait for.
    if (this.options.serializer === undefined) return sent as Promise<R>;
    return sent.then((result) => this.#serializer.deserializeEntity(ctxt, result) as R | PromiseLike<R>);
  }
}

/**
 * Creates an RPC client (Python: `get_rpc_client`). Nothing is sent until `call` or `cast`.
 *
 * @example
 * ```ts
 * const transport = await getRpcTransport({ url: 'rabbit://guest:guest@127.0.0.1:5672/', controlExchange: 'nova' });
 * const compute = getRpcClient(transport, { topic: 'compute', version: '6.0' }, { timeout: 30 });
 * const out = await compute.call({ user_id: 'alice' }, 'get_console_output', { instance: 'i-1' });
 * await compute.prepare({ server: 'host1' }).cast({}, 'reboot_instance', { instance: 'i-1', reboot_type: 'SOFT' });
 * await compute.prepare({ fanout: true }).cast({}, 'refresh_cache', {});
 * ```
 *
 * @param transport - an RPC transport ({@link getRpcTransport})
 * @param target - at least a topic; `namespace` and `version` select the server's endpoint
 * @param options - timeout, versionCap, retry, callMonitorTimeout, atLeastOnce, serializer
 * @throws {@link MessagingException} when the target's version is not `major.minor`
 */
export function getRpcClient<Ctxt = Context>(
  transport: Transport,
  target: Target | TargetFields,
  options: RPCClientOptions<Ctxt> = {},
): RPCClient<Ctxt> {
  return new RPCClient<Ctxt>(transport, target, options);
}
