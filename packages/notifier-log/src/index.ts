/**
 * `@oslo-messaging/notifier-log`: the `log` notification driver, which writes one structured log
 * line per notification (logger `oslo.messaging.notification.<event_type>`, secrets masked).
 *
 * @packageDocumentation
 */
import { type Logger } from '@oslo-messaging/core';
import { defineNotifierDriver, type Branded, type NotifierDriverFactory } from '@oslo-messaging/core/spi';
import { LogNotifierDriver, type NotificationLineWriter, type NotificationLogLevel } from './log-driver.js';

export { LogNotifierDriver, DEFAULT_PRIORITY_LEVELS, LOGGER_BASE, formatNotificationLine } from './log-driver.js';
export type {
  LogNotifierDriverOptions,
  NotificationLineWriter,
  NotificationLogLevel,
  NotificationLogRecord,
} from './log-driver.js';
export { maskSecrets, maskPasswordInString, SECRET_KEY_FRAGMENTS, DEFAULT_SECRET } from './mask-passwords.js';

/** Options of {@link createLogNotifierDriver}; all optional. */
export interface LogNotifierOptions {
  /** Logger to write to, or a function giving the logger for a name; default: the notifier's logger. */
  readonly logger?: Logger | ((name: string) => Logger) | undefined;
  /** Line writer used instead of a logger, e.g. `(line) => process.stdout.write(line + '\n')`. */
  readonly write?: NotificationLineWriter | undefined;
  /** Levels per priority, over the defaults (`audit` → warn, `sample` → info, `critical` → error, others by name). */
  readonly levels?: Readonly<Record<string, NotificationLogLevel>> | undefined;
  /** Replacement for masked secrets (default `***`). */
  readonly secret?: string | undefined;
  /** Plugin name (default `log`). */
  readonly name?: string | undefined;
}

/**
 * Makes a `log` driver plugin that writes where you say. Register it under `log` (or another name)
 * with `registry.register(ENTRY_POINT_GROUPS.notifyDrivers, 'log', plugin)`.
 */
export function createLogNotifierDriver(options: LogNotifierOptions = {}): Branded<NotifierDriverFactory> {
  return defineNotifierDriver({
    name: options.name ?? 'log',
    create: (context) =>
      new LogNotifierDriver({
        logger: options.logger ?? context.logger,
        write: options.write,
        levels: options.levels,
        secret: options.secret,
      }),
  });
}

/** The `log` notifier driver plugin (entry point `oslo.messaging.notify.drivers:log`), writing to the notifier's logger. */
export const logNotifierDriver: Branded<NotifierDriverFactory> = createLogNotifierDriver();
