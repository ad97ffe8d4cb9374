import type { Context, Logger } from '@oslo-messaging/core';
import type { NotificationMessage, NotifierDriver } from '@oslo-messaging/core/spi';
import { DEFAULT_SECRET, maskSecrets } from './mask-passwords.js';

/** A level of core's {@link Logger}. */
export type NotificationLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The logger-name prefix, kept from oslo (`oslo.messaging.notification.<event_type>`). */
export const LOGGER_BASE = 'oslo.messaging.notification';

/**
 * Log level per notification priority. oslo logs with the method named after the priority and
 * drops `audit` and `sample` (Python loggers have no such methods); here every priority is logged:
 * `critical` at `error`, `audit` at `warn` (audit trails should survive the default `warn`
 * threshold), `sample` at `info` (metering samples are frequent). Priorities not listed log at `warn`.
 */
export const DEFAULT_PRIORITY_LEVELS: Readonly<Record<string, NotificationLogLevel>> = Object.freeze({
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  critical: 'error',
  audit: 'warn',
  sample: 'info',
});

/** One notification, ready to be logged. */
export interface NotificationLogRecord {
  /** `oslo.messaging.notification.<event_type>`. */
  readonly loggerName: string;
  readonly level: NotificationLogLevel;
  /** The notification's priority, lower case. */
  readonly priority: string;
  readonly eventType: string;
  /** The notification as JSON, secrets masked: oslo's log message. */
  readonly message: string;
}

/** Writes one formatted line per notification (to a file, stdout, a test array, ...). */
export type NotificationLineWriter = (line: string, record: NotificationLogRecord) => void | Promise<void>;

/** How a {@link LogNotifierDriver} writes. */
export interface LogNotifierDriverOptions {
  /** Where records go when no `write` is given: one logger, or a function returning the logger for a name (like Python's `logging.getLogger`). */
  readonly logger: Logger | ((name: string) => Logger);
  /** Writes formatted lines instead of calling a logger. */
  readonly write?: NotificationLineWriter | undefined;
  /** Levels per priority, over {@link DEFAULT_PRIORITY_LEVELS}. */
  readonly levels?: Readonly<Record<string, NotificationLogLevel>> | undefined;
  /** Replacement for masked secrets (default `***`). */
  readonly secret?: string | undefined;
}

/** `<LEVEL> <logger name>: <json>`, the line a {@link NotificationLineWriter} receives. */
export function formatNotificationLine(record: NotificationLogRecord): string {
  return `${record.level.toUpperCase()} ${record.loggerName}: ${record.message}`;
}

/** JSON that survives values JSON.stringify refuses (bigint). */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/**
 * Logs each notification as one line: logger `oslo.messaging.notification.<event_type>`, level from
 * the priority, message the notification as JSON with secrets masked (Python: `LogDriver`). Through
 * a {@link Logger} the line is `logger[level](json, { logger, priority, event_type })`.
 */
export class LogNotifierDriver implements NotifierDriver {
  readonly #levels: Readonly<Record<string, NotificationLogLevel>>;

  constructor(private readonly options: LogNotifierDriverOptions) {
    this.#levels = { ...DEFAULT_PRIORITY_LEVELS, ...options.levels };
  }

  /** The record this driver would log for a notification. */
  toRecord(message: NotificationMessage, priority: string): NotificationLogRecord {
    const eventType = String(message['event_type'] ?? '');
    const lower = priority.toLowerCase();
    return {
      loggerName: `${LOGGER_BASE}.${eventType}`,
      level: this.#levels[lower] ?? 'warn',
      priority: lower,
      eventType,
      message: toJson(maskSecrets(message, this.options.secret ?? DEFAULT_SECRET)),
    };
  }

  async notify(_ctxt: Context, message: NotificationMessage, priority: string): Promise<void> {
    const record = this.toRecord(message, priority);
    if (this.options.write) {
      await this.options.write(formatNotificationLine(record), record);
      return;
    }
    const logger =
      typeof this.options.logger === 'function' ? this.options.logger(record.loggerName) : this.options.logger;
    logger[record.level](record.message, {
      logger: record.loggerName,
      priority: record.priority,
      event_type: record.eventType,
    });
  }
}
