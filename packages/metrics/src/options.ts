import { type OsloConfig } from '@oslo-messaging/core';
import { defineOptions, resolveOptions, type ResolvedOptions } from '@oslo-messaging/core/spi';

/** The oslo.config group of the options below. */
export const METRICS_GROUP = 'oslo_messaging_metrics';

/** `[oslo_messaging_metrics]`, with oslo.messaging's names, types and defaults (`oslo_messaging/_metrics/client.py`). */
export const OSLO_MESSAGING_METRICS_OPTIONS = defineOptions({
  metrics_enabled: { type: 'bool', default: false, help: 'Boolean to send rpc metrics to oslo.metrics.' },
  metrics_buffer_size: { type: 'int', default: 1000, help: 'Buffer size to store in oslo.messaging.' },
  metrics_socket_file: {
    type: 'string',
    default: '/var/tmp/metrics_collector.sock',
    help: 'Unix domain socket file to be used to send rpc related metrics',
  },
  metrics_process_name: {
    type: 'string',
    default: '',
    help: 'Process name which is used to identify which process produce metrics',
  },
  metrics_thread_stop_timeout: {
    type: 'int',
    default: 10,
    help: 'Sending thread stop once metrics_thread_stop_timeout seconds after the last successful metrics send. So that this thread will not be the blocker when process is shutting down. If the process is still running, sending thread will be restarted at the next metrics queueing time',
  },
});

/** The resolved `[oslo_messaging_metrics]` options. */
export type MetricsOptions = ResolvedOptions<typeof OSLO_MESSAGING_METRICS_OPTIONS>;

/**
 * Resolves `[oslo_messaging_metrics]` from a configuration (defaults < config < `code`).
 *
 * @throws `ConfigurationError` when a value has the wrong type
 */
export function resolveMetricsOptions(
  config: OsloConfig | undefined,
  code?: Readonly<Record<string, unknown>>,
): MetricsOptions {
  return resolveOptions(METRICS_GROUP, OSLO_MESSAGING_METRICS_OPTIONS, { config, code });
}
