import { ConfigurationError } from '../errors.js';
import { isThenable, RESOLVED } from '../maybe-async.js';
import { uuid4 } from '../wire/ids.js';
import { getDefaultLogger, type Logger } from '../logger.js';
import { NoOpSerializer, type Serializer } from '../serializer.js';
import { ENTRY_POINT_GROUPS } from '../spi/entry-point.js';
import type { Context, NotificationMessage, NotificationSendOptions } from '../spi/driver.js';
import type { NotificationSender, NotifierDriver, NotifierDriverContext } from '../spi/notifier.js';
import { OperationBound, type Operation } from '../operations.js';
import { defaultPluginRegistry, type PluginRegistry } from '../plugins/registry.js';
import type { Transport } from '../transport.js';

/** Options of a {@link Notifier}; defaults come from `[oslo_messaging_notifications]` in the transport's config. */
export interface NotifierOptions<Ctxt = Context> {
  /** Who sends: e.g. `compute.host1`. */
  readonly publisherId?: string | undefined;
  /** Notifier driver name(s): `messagingv2` (default), `messaging`, `log`, `noop`, `test`, `routing`, or third-party ones. */
  readonly driver?: string | readonly string[] | undefined;
  /** Topics (default `['notifications']`). */
  readonly topics?: readonly string[] | undefined;
  /** Send retries: -1/undefined forever, 0 none. */
  readonly retry?: number | null | undefined;
  /** Turns payloads and the context into JSON (default {@link NoOpSerializer}). */
  readonly serializer?: Serializer<Ctxt> | undefined;
  /** Plugin registry (default: the transport's, else the process-wide one). */
  readonly plugins?: PluginRegistry | undefined;
  /** Where failures to send are logged (default: the transport's logger). */
  readonly logger?: Logger | undefined;
}

/** Context keys that may travel with a notification (oslo 14's safe list). */
const SAFE_CONTEXT_KEYS = new Set([
  'user_id',
  'project_id',
  'domain_id',
  'user_domain_id',
  'project_domain_id',
  'is_admin',
  'request_id',
  'roles',
  'user_name',
  'project_name',
  'domain_name',
  'user_domain_name',
  'project_domain_name',
  'service_user_id',
  'service_user_domain_id',
  'service_user_domain_name',
  'service_project_id',
  'service_project_name',
  'service_project_domain_id',
  'service_project_domain_name',
  'service_roles',
  'global_request_id',
  'system_scope',
  'user',
  'domain',
  'user_domain',
  'project_domain',
  // Trace context (W3C traceparent/tracestate/baggage) written by @oslo-messaging/opentelemetry: not sensitive.
  'otel_traceparent',
  'otel_tracestate',
  'otel_baggage',
]);

/** Keeps only the context keys that are safe to broadcast (drops `auth_token` and the like). */
export function sanitizeNotificationContext(ctxt: Context): Context {
  const safe: Context = {};
  for (const k of Object.keys(ctxt)) if (SAFE_CONTEXT_KEYS.has(k)) safe[k] = ctxt[k];
  return safe;
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` in UTC, Python's `str(utcnow())` (fraction dropped when zero). */
export function pythonTimestamp(d?: Date): string {
  if (d !== undefined) return formatTimestamp(d);
  // Notifications sent within the same millisecond share the string (at 10k/s, most of them).
  const now = Date.now();
  if (now !== lastTimestampAt) {
    lastTimestampAt = now;
    lastTimestamp = formatTimestamp(new Date(now));
  }
  return lastTimestamp;
}

let lastTimestampAt = -1;
let lastTimestamp = '';

function formatTimestamp(d: Date): string {
  const iso = d.toISOString();
  const frac = `${iso.slice(20, 23)}000`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac === '000000' ? '' : `.${frac}`}`;
}

interface Shared {
  readonly transport: Transport | undefined;
  readonly driverNames: readonly string[];
  readonly topics: readonly string[];
  readonly settings: Readonly<Record<string, unknown>>;
  readonly plugins: PluginRegistry;
  readonly logger: Logger;
  drivers?: Promise<Array<{ name: string; driver: NotifierDriver }>>;
  /** The drivers once loaded (sending then needs no await). */
  loaded?: ReadonlyArray<{ name: string; driver: NotifierDriver }>;
}

/**
 * Emits notifications (Python: `Notifier`): `await notifier.info(ctxt, 'compute.instance.create.end', payload)`.
 * Like oslo, sending never throws: failures are logged. Drivers load on first use.
 *
 * @example
 * ```ts
 * const transport = await getNotificationTransport({ url: 'rabbit://guest:guest@127.0.0.1:5672/' });
 * const notifier = new Notifier(transport, { publisherId: 'compute.host1', driver: 'messagingv2', topics: ['notifications'] });
 * await notifier.info({ user_id: 'alice' }, 'compute.instance.create.end', { instance_id: 'i-1' });
 * await notifier.prepare({ publisherId: 'compute.host2' }).error({}, 'compute.instance.create.error', { instance_id: 'i-2' });
 * ```
 */
export class Notifier<Ctxt = Context> {
  readonly #shared: Shared;
  /** Who sends, e.g. `compute.host1` (`publisher_id` of every notification). */
  readonly publisherId: string | undefined;
  /** Send retries given to the drivers: `undefined`/`null`/negative forever, `0` one attempt. */
  readonly retry: number | null | undefined;
  readonly #serializer: Serializer<Ctxt>;

  /**
   * @param transport - a notification transport ({@link getNotificationTransport}); `undefined` for drivers that
   *   need none (`log`, `noop`, `test`)
   * @param options - publisher id, drivers, topics, retry, serializer
   * @param shared - internal: the state shared by a notifier and the ones {@link Notifier.prepare} makes
   */
  constructor(transport: Transport | undefined, options: NotifierOptions<Ctxt> = {}, shared?: Shared) {
    const section = transport?.conf.config['oslo_messaging_notifications'] ?? {};
    const confDrivers = section['driver'];
    const confTopics = section['topics'];
    const asList = (v: unknown) =>
      Array.isArray(v)
        ? v.map(String)
        : typeof v === 'string'
          ? v
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : undefined;
    this.#shared = shared ?? {
      transport,
      driverNames:
        typeof options.driver === 'string'
          ? [options.driver]
          : (options.driver ?? asList(confDrivers) ?? ['messagingv2']),
      topics: options.topics ?? asList(confTopics) ?? ['notifications'],
      settings: section,
      plugins: options.plugins ?? transport?.plugins ?? defaultPluginRegistry,
      logger: options.logger ?? transport?.logger ?? getDefaultLogger(),
    };
    const confRetry = section['retry'];
    this.publisherId = options.publisherId;
    this.retry =
      options.retry !== undefined
        ? options.retry
        : typeof confRetry === 'number'
          ? confRetry
          : confRetry !== undefined
            ? Number(confRetry)
            : undefined;
    this.#serializer = (options.serializer ?? new NoOpSerializer()) as Serializer<Ctxt>;
  }

  /** A notifier sharing this one's drivers with another publisher id or retry (Python: `prepare`). */
  prepare(options: { publisherId?: string; retry?: number | null } = {}): Notifier<Ctxt> {
    return new Notifier<Ctxt>(
      this.#shared.transport,
      {
        publisherId: 'publisherId' in options ? options.publisherId : this.publisherId,
        retry: 'retry' in options ? options.retry : this.retry,
        serializer: this.#serializer,
      },
      this.#shared,
    );
  }

  /** `false` only when the sole driver is `noop`. */
  isEnabled(): boolean {
    return !(this.#shared.driverNames.length === 1 && this.#shared.driverNames[0] === 'noop');
  }

  /**
   * The loaded drivers (loads them on first call). Sending loads them too; call this to fail early.
   *
   * @throws {@link PluginLoadFailure} when a notifier driver is not installed or is refused (the promise rejects)
   */
  loadDrivers(): Promise<
    ReadonlyArray<{
      /** The driver's name, as configured. */
      name: string;
      /** The driver. */
      driver: NotifierDriver;
    }>
  > {
    const s = this.#shared;
    if (s.drivers === undefined) {
      const loading = Promise.all(
        s.driverNames.map(async (name) => ({ name, driver: await loadNotifierDriver(s, name) })),
      );
      s.drivers = loading;
      loading.then(
        (drivers) => (s.loaded = drivers),
        () => (s.drivers = undefined),
      );
    }
    return s.drivers;
  }

  /** Sends an `AUDIT` notification; resolves once every driver handled it (failures are logged, never thrown). */
  audit(ctxt: Ctxt, eventType: string, payload: unknown): Promise<void> {
    return this.#notify(ctxt, eventType, payload, 'AUDIT');
  }
  /** Sends a `DEBUG` notification; see {@link Notifier.audit}. */
  debug(ctxt: Ctxt, eventType: string, payload: unknown): Promise<void> {
    return this.#notify(ctxt, eventType, payload, 'DEBUG');
  }
  /** Sends an `INFO` notification; see {@link Notifier.audit}. */
  info(ctxt: Ctxt, eventType: string, payload: unknown): Promise<void> {
    return this.#notify(ctxt, eventType, payload, 'INFO');
  }
  /** Sends a `WARN` notification; see {@link Notifier.audit}. */
  warn(ctxt: Ctxt, eventType: string, payload: unknown): Promise<void> {
    return this.#notify(ctxt, eventType, payload, 'WARN');
  }
  /** Same as {@link Notifier.warn}. */
  warning(ctxt: Ctxt, eventType: string, payload: unknown): Promise<void> {
    return this.#notify(ctxt, eventType, payload, 'WARN');
  }
  /** Sends an `ERROR` notification; see {@link Notifier.audit}. */
  error(ctxt: Ctxt, eventType: string, payload: unknown): Promise<void> {
    return this.#notify(ctxt, eventType, payload, 'ERROR');
  }
  /** Sends a `CRITICAL` notification; see {@link Notifier.audit}. */
  critical(ctxt: Ctxt, eventType: string, payload: unknown): Promise<void> {
    return this.#notify(ctxt, eventType, payload, 'CRITICAL');
  }
  /** Sends a `SAMPLE` notification (metering); see {@link Notifier.audit}. */
  sample(ctxt: Ctxt, eventType: string, payload: unknown): Promise<void> {
    return this.#notify(ctxt, eventType, payload, 'SAMPLE');
  }

  /** Builds the notification and hands it to every driver; no await while the serializer and the drivers need none. */
  #notify(ctxt: Ctxt, eventType: string, payload: unknown, priority: string): Promise<void> {
    let serializedPayload: unknown;
    try {
      serializedPayload = this.#serializer.serializeEntity(ctxt, payload);
    } catch (err) {
      return this.#buildFailed(eventType, err);
    }
    if (isThenable(serializedPayload))
      return Promise.resolve(serializedPayload).then(
        (p) => this.#notifyWith(ctxt, eventType, p, priority),
        (err: unknown) => this.#buildFailed(eventType, err),
      );
    return this.#notifyWith(ctxt, eventType, serializedPayload, priority);
  }

  #notifyWith(ctxt: Ctxt, eventType: string, serializedPayload: unknown, priority: string): Promise<void> {
    let message: NotificationMessage;
    let wireCtxt: Context;
    try {
      wireCtxt = sanitizeNotificationContext(this.#serializer.serializeContext(ctxt));
      message = {
        message_id: uuid4(),
        publisher_id: this.publisherId ?? '',
        event_type: eventType,
        priority,
        payload: serializedPayload,
        timestamp: pythonTimestamp(),
      };
    } catch (err) {
      return this.#buildFailed(eventType, err);
    }
    const loaded = this.#shared.loaded;
    if (loaded !== undefined) return this.#send(loaded, wireCtxt, message, priority, eventType);
    return this.loadDrivers().then(
      (drivers) => this.#send(drivers, wireCtxt, message, priority, eventType),
      (err: unknown) => {
        this.#shared.logger.error('Failed to load notification drivers', { err });
      },
    );
  }

  #buildFailed(eventType: string, err: unknown): Promise<void> {
    this.#shared.logger.error('Failed to build a notification', { eventType, err });
    return RESOLVED;
  }

  /** Every driver gets the notification; a failure is logged (never thrown), as oslo does. */
  #send(
    drivers: ReadonlyArray<{ name: string; driver: NotifierDriver }>,
    wireCtxt: Context,
    message: NotificationMessage,
    priority: string,
    eventType: string,
  ): Promise<void> {
    const level = PRIORITY_LEVELS[priority] ?? priority.toLowerCase();
    const one = ({ name, driver }: { name: string; driver: NotifierDriver }): Promise<void> => {
      const failed = (err: unknown): void => {
        this.#shared.logger.error(
          `Problem '${(err as Error)?.message ?? String(err)}' attempting to send to notification system`,
          { driver: name, eventType },
        );
      };
      try {
        return driver.notify(wireCtxt, message, level, this.retry).then(undefined, failed);
      } catch (err) {
        failed(err);
        return RESOLVED;
      }
    };
    if (drivers.length === 1) return one(drivers[0]!);
    return Promise.all(drivers.map(one)).then(NOTHING);
  }
}

/** oslo's priorities as the drivers get them (lower case). */
const PRIORITY_LEVELS: Readonly<Record<string, string>> = {
  AUDIT: 'audit',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
  CRITICAL: 'critical',
  SAMPLE: 'sample',
};

const NOTHING = (): void => {};

async function loadNotifierDriver(s: Shared, name: string): Promise<NotifierDriver> {
  const factory = await s.plugins.load(ENTRY_POINT_GROUPS.notifyDrivers, name);
  const context: NotifierDriverContext = {
    transport: s.transport && trackedSender(s.transport),
    topics: s.topics,
    settings: s.settings,
    logger: s.logger,
    loadDriver: (other) => {
      if (other === name)
        return Promise.reject(new ConfigurationError(`Notification driver ${name} cannot route to itself`));
      return loadNotifierDriver(s, other);
    },
  };
  return factory.create(context);
}

/** The options of one notification: its operation's, with a signal made only if the driver reads it. */
class OperationNotificationOptions extends OperationBound implements NotificationSendOptions {
  constructor(
    op: Operation<void>,
    readonly version: 1 | 2,
    readonly retry: number | null | undefined,
  ) {
    super(op);
  }
}

/** The transport's driver as a notifier driver sees it: sends are tracked, so cleanup of the transport rejects them. */
function trackedSender(transport: Transport): NotificationSender {
  return {
    sendNotification: (target, ctxt, message, version, retry) =>
      transport.operations.start<void>((op) =>
        transport.driver.sendNotification(target, ctxt, message, new OperationNotificationOptions(op, version, retry)),
      ),
  };
}
