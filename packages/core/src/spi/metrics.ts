import type { Logger } from '../logger.js';
import type { OsloConfig } from '../config/options-resolver.js';
import type { Target } from '../target.js';

/** One RPC client invocation, as oslo.messaging labels its client metrics. */
export interface RpcClientInvocation {
  /** The client's target (topic, server, fanout, ...). */
  readonly target: Target;
  /** The method invoked. */
  readonly method: string;
  /** Whether it is a call or a cast. */
  readonly callType: 'call' | 'cast';
  /** The call's timeout in seconds; undefined for casts without one. */
  readonly timeout: number | undefined;
}

/**
 * Receives RPC client metrics (Python: `oslo_messaging._metrics.MetricsCollectorClient`): core calls
 * {@link MetricsCollector.clientInvocation} when a call or cast starts, and the function it returns
 * once when it settles. Both must be cheap and must never throw: they run on every call.
 */
export interface MetricsCollector {
  /** A call or cast starts; the returned function is called once with its error (undefined on success). */
  clientInvocation(invocation: RpcClientInvocation): (error: unknown) => void;
  /** Flushes and releases what the collector holds. Idempotent. */
  close(): Promise<void>;
}

/** What core gives a metrics collector factory. */
export interface MetricsContext {
  /** The whole configuration (`[oslo_messaging_metrics]` holds the collector's options). */
  readonly config: OsloConfig;
  /** Where the collector logs. */
  readonly logger: Logger;
}

/**
 * The value a package exports for the `oslo.messaging.metrics` group. Core loads the collector named
 * `oslo.metrics` when `[oslo_messaging_metrics] metrics_enabled` is true, as oslo.messaging does.
 */
export interface MetricsCollectorFactory {
  /** The collector's name, e.g. `oslo.metrics`. */
  readonly name: string;
  /** Makes the collector of one transport. */
  create(context: MetricsContext): Promise<MetricsCollector> | MetricsCollector;
}
