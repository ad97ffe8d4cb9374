import { ConfigurationError, DriverLoadFailure, InvalidTransportURL, TransportDriverError } from './errors.js';
import { boundedWait, OperationTracker } from './operations.js';
import { getDefaultLogger, type Logger } from './logger.js';
import { knownOptionNames, resolveOptions, type OsloConfig } from './config/options-resolver.js';
import { defaultPluginRegistry, type PluginRegistry } from './plugins/registry.js';
import { ENTRY_POINT_GROUPS } from './spi/entry-point.js';
import type { Driver, DriverContext } from './spi/driver.js';
import type { OptionSchema } from './spi/options.js';
import type { MetricsCollector } from './spi/metrics.js';
import { TransportURL } from './transport-url.js';
import { createRemoteErrorCodec } from './wire/failure.js';
import { rpcDestination } from './wire/amqp-dialect.js';
import { buildIncomingMessage } from './wire/incoming.js';
import { ReplyWaiters } from './wire/reply-waiters.js';
import type { RemoteErrorCodec } from './spi/driver.js';
import type { Target } from './target.js';
import { DEFAULT_RPC_RESPONSE_TIMEOUT } from './defaults.js';

/** Options of {@link getRpcTransport} and {@link getNotificationTransport}; names and units (seconds) follow oslo. */
export interface TransportOptions {
  /** Transport URL; default from `config`, then `OSLO_MESSAGING_TRANSPORT_URL`, then `rabbit://`. */
  readonly url?: string | TransportURL | undefined;
  /** oslo.config-style configuration (see `loadConfigFiles`). */
  readonly config?: OsloConfig | undefined;
  /** `[DEFAULT] control_exchange`: default exchange of targets (default `openstack`). */
  readonly controlExchange?: string | undefined;
  /** `[DEFAULT] rpc_response_timeout`: call timeout in seconds when the client gives none (default 60). */
  readonly rpcResponseTimeout?: number | undefined;
  /** `[DEFAULT] executor_thread_pool_size`: concurrency of the pool executor (default 64). */
  readonly executorThreadPoolSize?: number | undefined;
  /** `[DEFAULT] rpc_ping_enabled`: add the `oslo_rpc_server_ping` method to RPC servers (default false). */
  readonly rpcPingEnabled?: boolean | undefined;
  /** Remote modules whose exceptions are re-created on the client (oslo's `allowed_remote_exmods`). */
  readonly allowedRemoteExmods?: readonly string[] | undefined;
  /** Options of the driver's group (e.g. `rabbit_qos_prefetch_count` or `rabbitQosPrefetchCount`). */
  readonly driverOptions?: Readonly<Record<string, unknown>> | undefined;
  /** The plugin registry to load the driver from (default: the process-wide one). */
  readonly plugins?: PluginRegistry | undefined;
  /** Where the transport, its driver and its servers log (default: the process-wide logger, {@link setDefaultLogger}). */
  readonly logger?: Logger | undefined;
}

/** Transport-wide settings, resolved. */
export interface TransportConf {
  /** The default exchange of targets (`[DEFAULT] control_exchange`). */
  readonly controlExchange: string;
  /** Seconds a call waits when the client gives no timeout. */
  readonly rpcResponseTimeout: number;
  /** Concurrency of the `pool` executor. */
  readonly executorThreadPoolSize: number;
  /** Whether RPC servers answer `oslo_rpc_server_ping`. */
  readonly rpcPingEnabled: boolean;
  /** The whole oslo.config configuration the transport was given. */
  readonly config: OsloConfig;
}

/** How long {@link Transport.cleanup} waits for the driver to close its connections. */
export const CLEANUP_LIMIT_MS = 5000;

const DEFAULT_SCHEMA = {
  control_exchange: { type: 'string', default: 'openstack', help: 'Default exchange of targets.' },
  rpc_response_timeout: {
    type: 'float',
    default: DEFAULT_RPC_RESPONSE_TIMEOUT,
    min: 0,
    help: 'Seconds to wait for a call reply.',
  },
  executor_thread_pool_size: {
    type: 'int',
    default: 64,
    min: 1,
    deprecatedNames: ['rpc_thread_pool_size'],
    help: 'Pool executor size.',
  },
  rpc_ping_enabled: { type: 'bool', default: false, help: 'Add an endpoint answering oslo_rpc_server_ping.' },
} as const satisfies OptionSchema;

/**
 * A connection to a messaging system through a driver (Python: `Transport`). Get one with
 * {@link getRpcTransport} or {@link getNotificationTransport}; release it with {@link Transport.cleanup}.
 */
export class Transport {
  #cleanedUp = false;
  /**
   * Calls, casts and notifications in flight: they settle by their deadline, and are rejected when
   * the transport is cleaned up. Internal API for clients and notifiers.
   * @internal
   */
  readonly operations = new OperationTracker();

  constructor(
    /** The transport URL (passwords masked by `toString()`). */
    readonly url: TransportURL,
    /** Whether this transport serves RPC or notifications. */
    readonly purpose: 'rpc' | 'notification',
    /** The resolved transport-wide settings. */
    readonly conf: TransportConf,
    /** The driver; internal API for servers, clients and notifiers. */
    readonly driver: Driver,
    /** The plugin registry the driver came from (executors and notifier drivers load from it too). */
    readonly plugins: PluginRegistry,
    /** Where the transport, its driver and its servers log. */
    readonly logger: Logger,
    /** Turns errors into oslo's failure format and back, honouring `allowedRemoteExmods`. */
    readonly remoteErrors: RemoteErrorCodec,
    /** The RPC metrics collector, when `[oslo_messaging_metrics] metrics_enabled` is on. */
    readonly metrics?: MetricsCollector,
    /** The calls waiting for replies (the driver's `DriverContext.replies`); rejected at cleanup. @internal */
    readonly replies: ReplyWaiters = new ReplyWaiters(logger, remoteErrors),
  ) {}

  /**
   * Where an RPC request for `target` goes on this transport's messaging system (a queue, an
   * exchange, a subject), as the driver names it; for tracing and logs.
   */
  destinationName(target: Target): string {
    // A driver that names nothing gets oslo's own names (topic, topic.server, topic_fanout).
    return this.driver.destinationName?.(target) ?? rpcDestination(target);
  }

  /** Whether {@link Transport.cleanup} was called: nothing is sent through this transport any more. */
  get cleanedUp(): boolean {
    return this.#cleanedUp;
  }

  /**
   * Closes every connection of the driver. Idempotent. Calls, casts and notifications still in
   * flight are rejected at once with `TransportDriverError`; the driver gets
   * {@link CLEANUP_LIMIT_MS} to close its connections (a frozen broker cannot hold it longer).
   */
  async cleanup(): Promise<void> {
    if (this.#cleanedUp) return;
    this.#cleanedUp = true;
    this.operations.close(new TransportDriverError('The transport was cleaned up'));
    this.replies.rejectAll(new TransportDriverError('The transport was cleaned up while a call was waiting'));
    if (this.metrics) {
      await boundedWait(
        this.metrics
          .close()
          .catch((err: unknown) => this.logger.warn('The metrics collector failed to close', { err })),
        CLEANUP_LIMIT_MS,
        () =>
          this.logger.warn(
            `The metrics collector did not close within ${CLEANUP_LIMIT_MS / 1000} s; going on without it`,
          ),
      );
    }
    await boundedWait(this.driver.cleanup(), CLEANUP_LIMIT_MS, () =>
      this.logger.warn(
        `The ${this.url.driver ?? ''} driver did not finish its cleanup within ${CLEANUP_LIMIT_MS / 1000} s; going on without it`,
      ),
    );
  }
}

function pickUrl(options: TransportOptions, purpose: 'rpc' | 'notification'): string | TransportURL {
  if (options.url !== undefined) return options.url;
  const fromConfig =
    (purpose === 'notification' ? options.config?.['oslo_messaging_notifications']?.['transport_url'] : undefined) ??
    options.config?.['DEFAULT']?.['transport_url'];
  if (fromConfig !== undefined) {
    if (typeof fromConfig !== 'string') throw new ConfigurationError('transport_url in the config must be a string');
    return fromConfig;
  }
  return process.env['OSLO_MESSAGING_TRANSPORT_URL'] || 'rabbit://';
}

async function createTransport(options: TransportOptions, purpose: 'rpc' | 'notification'): Promise<Transport> {
  const rawUrl = pickUrl(options, purpose);
  const url = rawUrl instanceof TransportURL ? rawUrl : TransportURL.parse(rawUrl);
  const config = options.config ?? {};
  const logger = options.logger ?? getDefaultLogger();
  const plugins = options.plugins ?? defaultPluginRegistry;
  const d = resolveOptions('DEFAULT', DEFAULT_SCHEMA, {
    config,
    code: {
      control_exchange: options.controlExchange,
      rpc_response_timeout: options.rpcResponseTimeout,
      executor_thread_pool_size: options.executorThreadPoolSize,
      rpc_ping_enabled: options.rpcPingEnabled,
    },
  });
  const conf: TransportConf = {
    controlExchange: d.control_exchange,
    rpcResponseTimeout: d.rpc_response_timeout,
    executorThreadPoolSize: d.executor_thread_pool_size,
    rpcPingEnabled: d.rpc_ping_enabled,
    config,
  };
  const driverName = url.driver;
  if (!driverName) throw new InvalidTransportURL(url.format(), 'No scheme specified');
  const factory = await plugins.load(ENTRY_POINT_GROUPS.drivers, driverName);
  const remoteErrors = createRemoteErrorCodec(options.allowedRemoteExmods ?? []);
  const replies = new ReplyWaiters(logger, remoteErrors);
  const understood = new Set<string>();
  const context: DriverContext = {
    url,
    defaultExchange: conf.controlExchange,
    purpose,
    remoteErrors,
    logger,
    replies,
    incoming: buildIncomingMessage,
    options<S extends OptionSchema>(group: string, schema: S) {
      for (const n of knownOptionNames(schema)) understood.add(n);
      return resolveOptions(group, schema, { config, code: options.driverOptions, query: url.query });
    },
    loadPlugin: (group, name) => plugins.load(group, name),
  };
  let driver: Driver;
  try {
    driver = await factory.create(context);
  } catch (err) {
    if (err instanceof ConfigurationError || err instanceof DriverLoadFailure) throw err;
    throw new DriverLoadFailure(
      `Failed to load transport driver "${driverName}": ${(err as Error).message}`,
      ENTRY_POINT_GROUPS.drivers,
      driverName,
      { cause: err },
    );
  }
  const unknown = [...Object.keys(url.query), ...Object.keys(options.driverOptions ?? {})].filter(
    (k) => !understood.has(k),
  );
  if (unknown.length > 0) {
    await driver.cleanup().catch(() => undefined);
    throw new ConfigurationError(`Unknown option(s) for the "${driverName}" driver: ${unknown.join(', ')}`);
  }
  let metrics: MetricsCollector | undefined;
  // oslo.messaging measures RPC clients only: a notification transport needs no collector.
  if (purpose === 'rpc' && metricsEnabled(config)) {
    try {
      const collector = await plugins.load(ENTRY_POINT_GROUPS.metrics, 'oslo.metrics');
      metrics = await collector.create({ config, logger });
    } catch (err) {
      await driver.cleanup().catch(() => undefined);
      throw err;
    }
  }
  return new Transport(url, purpose, conf, driver, plugins, logger, remoteErrors, metrics, replies);
}

const METRICS_SWITCH = {
  metrics_enabled: { type: 'bool', default: false, help: 'Send RPC client metrics to oslo.metrics.' },
} as const satisfies OptionSchema;

/** `[oslo_messaging_metrics] metrics_enabled`: the collector's other options are its own. */
function metricsEnabled(config: OsloConfig): boolean {
  const value = config['oslo_messaging_metrics']?.['metrics_enabled'];
  if (value === undefined) return false;
  return resolveOptions('oslo_messaging_metrics', METRICS_SWITCH, {
    config: { oslo_messaging_metrics: { metrics_enabled: value } },
  }).metrics_enabled;
}

/**
 * Creates a transport for RPC clients and servers (Python: `get_rpc_transport`). The URL's scheme names the
 * driver, found among the installed plugin packages; options keep oslo's names and units (seconds).
 *
 * @example
 * ```ts
 * const transport = await getRpcTransport({
 *   url: 'rabbit://guest:guest@127.0.0.1:5672/?rabbit_qos_prefetch_count=10',
 *   controlExchange: 'nova',
 *   rpcResponseTimeout: 30,
 * });
 * // ... clients and servers ...
 * await transport.cleanup();
 *
 * // Or from an existing oslo.config file (transport_url, control_exchange, [oslo_messaging_rabbit]):
 * const fromConf = await getRpcTransport({ config: loadConfigFiles(['/etc/nova/nova.conf']) });
 * ```
 *
 * @throws {@link DriverLoadFailure} when the URL's driver is not installed, is refused (brand, SPI version, core
 *   range) or fails to start; the message names the package to install (see docs/troubleshooting.md)
 * @throws {@link InvalidTransportURL} when the URL cannot be parsed or has no scheme
 * @throws {@link ConfigurationError} for an unknown driver option in the URL or `driverOptions`, or a value of the
 *   wrong type
 */
export function getRpcTransport(options: TransportOptions = {}): Promise<Transport> {
  return createTransport(options, 'rpc');
}

/**
 * Creates a transport for notifiers and notification listeners (Python: `get_notification_transport`). The URL
 * defaults to `[oslo_messaging_notifications] transport_url`, then as for {@link getRpcTransport}.
 *
 * @example
 * ```ts
 * const transport = await getNotificationTransport({ url: 'rabbit://guest:guest@127.0.0.1:5672/' });
 * await new Notifier(transport, { publisherId: 'compute.host1' }).info({}, 'compute.instance.create.end', { id: 1 });
 * ```
 *
 * @throws {@link DriverLoadFailure} when the URL's driver is not installed, is refused or fails to start
 * @throws {@link InvalidTransportURL} when the URL cannot be parsed or has no scheme
 * @throws {@link ConfigurationError} for an unknown driver option or a value of the wrong type
 */
export function getNotificationTransport(options: TransportOptions = {}): Promise<Transport> {
  return createTransport(options, 'notification');
}
