import type { Logger } from '../logger.js';
import type { Target } from '../target.js';
import type { Context, NotificationMessage } from './driver.js';

/** Sends notifications somewhere: the bus, a log, memory, nowhere. */
export interface NotifierDriver {
  /** Emits one notification. `priority` is lower case. Errors are logged by the notifier, never thrown to users. */
  notify(
    ctxt: Context,
    message: NotificationMessage,
    priority: string,
    retry: number | null | undefined,
  ): Promise<void>;
}

/** The transport side a notifier driver may publish through. */
export interface NotificationSender {
  /** Publishes one notification on `target` (topic = `<topic>.<priority>`), in message format version 1 or 2. */
  sendNotification(
    target: Target,
    ctxt: Context,
    message: NotificationMessage,
    version: 1 | 2,
    retry?: number | null,
  ): Promise<void>;
}

/** What core gives a notifier driver factory. */
export interface NotifierDriverContext {
  /** The notification transport, when the notifier has one. */
  readonly transport: NotificationSender | undefined;
  /** Topics to publish on (`[oslo_messaging_notifications] topics`, default `['notifications']`). */
  readonly topics: readonly string[];
  /** The `[oslo_messaging_notifications]` section as configured (e.g. `routing_config`). */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Where the driver logs. */
  readonly logger: Logger;
  /** Loads another notifier driver by name (the routing driver uses it). */
  loadDriver(name: string): Promise<NotifierDriver>;
}

/** The value a package exports for the `oslo.messaging.notify.drivers` group. */
export interface NotifierDriverFactory {
  /** The name notifiers use in `driver`, e.g. `messagingv2`. */
  readonly name: string;
  /** Makes the driver for one notifier. */
  create(context: NotifierDriverContext): Promise<NotifierDriver> | NotifierDriver;
}
