import type { Serializer } from '../serializer.js';
import type { Context } from '../spi/driver.js';
import type { TargetFields } from '../target.js';

/** Options of an RPC client; also what {@link RPCClient.prepare} can override. Times in seconds. */
export interface RPCClientOptions<Ctxt = Context> {
  /** Call timeout (default: the transport's `rpcResponseTimeout`). */
  readonly timeout?: number | undefined;
  /** Highest version this client may send. */
  readonly versionCap?: string | undefined;
  /** Send retries: undefined/null/-1 forever, 0 none, N at most N. */
  readonly retry?: number | null | undefined;
  /** Ask the server for heartbeats and fail if none arrives for this long. */
  readonly callMonitorTimeout?: number | undefined;
  /** Fail at once if nobody is listening (RabbitMQ `mandatory`), oslo's `at_least_once`. */
  readonly atLeastOnce?: boolean | undefined;
  /** Turns arguments, results and the context into JSON and back (default {@link NoOpSerializer}). */
  readonly serializer?: Serializer<Ctxt> | undefined;
}

/** What `prepare` accepts: target overrides plus client options. */
export type PrepareOptions = TargetFields & Omit<RPCClientOptions, 'serializer'>;

/**
 * What the typed layer ({@link TypedClient}) needs of an RPC client: `RPCClient` is one. Kept apart
 * so that the typed layer does not depend on the client's implementation.
 */
export interface RpcInvoker<Ctxt = Context> {
  /** Sends a call and resolves with its result. */
  call<R = unknown>(ctxt: Ctxt, method: string, args?: Record<string, unknown>): Promise<R>;
  /** Sends a cast; resolves once sent. */
  cast(ctxt: Ctxt, method: string, args?: Record<string, unknown>): Promise<void>;
  /** The same invoker with target fields or options replaced. */
  prepare(overrides: PrepareOptions): RpcInvoker<Ctxt>;
}
