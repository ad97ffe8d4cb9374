/**
 * `@oslo-messaging/metrics`: the `oslo.metrics` collector of the `oslo.messaging.metrics` group. With
 * `[oslo_messaging_metrics] metrics_enabled = true`, every RPC call and cast is reported to the
 * oslo.metrics exporter (`python3 -m oslo_metrics`) over its unix datagram socket, as oslo.messaging
 * 18.1 reports them, so its Prometheus endpoint shows Node.js services beside Python ones.
 *
 * @packageDocumentation
 */
import { defineMetricsCollector, type Branded, type MetricsCollectorFactory } from '@oslo-messaging/core/spi';
import { OsloMetricsClient } from './client.js';
import { resolveMetricsOptions } from './options.js';
import { connectUnixDatagram, loadUnixDgram, type DatagramConnect } from './socket.js';

export { OsloMetricsClient, RPC_CLIENT_METRICS, METRICS_MODULE, exceptionClassName } from './client.js';
export type { OsloMetricsClientOptions } from './client.js';
export { OSLO_MESSAGING_METRICS_OPTIONS, METRICS_GROUP, resolveMetricsOptions } from './options.js';
export type { MetricsOptions } from './options.js';
export { metricToJson, pyFloatRepr, pyString } from './metric.js';
export type { Metric, MetricAction, LabelValue } from './metric.js';
export { connectUnixDatagram } from './socket.js';
export type { DatagramConnect, DatagramSocket } from './socket.js';

/** Options of {@link createOsloMetricsCollector}; all optional. */
export interface OsloMetricsCollectorOptions {
  /** `[oslo_messaging_metrics]` options given in code (snake_case or camelCase); they win over the config. */
  readonly options?: Readonly<Record<string, unknown>> | undefined;
  /** Opens the datagram socket (default: a unix datagram socket, through `unix-dgram`). */
  readonly connect?: DatagramConnect | undefined;
  /** Longest time `close()` spends flushing, in ms (default `min(metrics_thread_stop_timeout, 2 s)`). */
  readonly closeTimeoutMs?: number | undefined;
  /** Plugin name (default `oslo.metrics`, the name core loads). */
  readonly name?: string | undefined;
}

/**
 * Makes an `oslo.metrics` collector plugin; register it explicitly with
 * `registry.register(ENTRY_POINT_GROUPS.metrics, 'oslo.metrics', plugin)` (bundled applications, tests).
 */
export function createOsloMetricsCollector(
  options: OsloMetricsCollectorOptions = {},
): Branded<MetricsCollectorFactory> {
  return defineMetricsCollector({
    name: options.name ?? 'oslo.metrics',
    create: ({ config, logger }) => {
      const resolved = resolveMetricsOptions(config, options.options);
      // Fail at transport creation, not on the first call, when the native addon is missing.
      if (!options.connect) loadUnixDgram();
      return new OsloMetricsClient(resolved, {
        logger,
        connect: options.connect ?? connectUnixDatagram,
        closeTimeoutMs: options.closeTimeoutMs,
      });
    },
  });
}

/** The `oslo.metrics` collector core loads when `[oslo_messaging_metrics] metrics_enabled` is true. */
export const osloMetricsCollector: Branded<MetricsCollectorFactory> = createOsloMetricsCollector();
