/**
 * `@oslo-messaging/notifier-messaging`: the notification drivers that publish through the
 * notifier's transport: `messagingv2` (oslo's 2.0 envelope, the default driver) and `messaging`
 * (the bare 1.0 format, for old consumers).
 *
 * @packageDocumentation
 */
import { ConfigurationError } from '@oslo-messaging/core';
import { defineNotifierDriver, type NotifierDriverContext } from '@oslo-messaging/core/spi';
import { MessagingNotifierDriver, type NotificationFormatVersion } from './messaging-driver.js';

export { MessagingNotifierDriver } from './messaging-driver.js';
export type { NotificationFormatVersion } from './messaging-driver.js';

function create(name: string, version: NotificationFormatVersion) {
  return (context: NotifierDriverContext): MessagingNotifierDriver => {
    if (!context.transport) {
      throw new ConfigurationError(
        `The ${name} notification driver publishes through a transport, but the notifier has none: ` +
          `create it with new Notifier(await getNotificationTransport({ url }), ...), ` +
          `or choose a driver that needs no transport (log, test, noop)`,
      );
    }
    return new MessagingNotifierDriver(context.transport, context.topics, version);
  };
}

/** The `messagingv2` notifier driver plugin: notifications in oslo's 2.0 envelope (`{"oslo.version": "2.0", "oslo.message": "..."}`). */
export const messagingV2Driver = defineNotifierDriver({ name: 'messagingv2', create: create('messagingv2', 2) });

/** The `messaging` notifier driver plugin: notifications as bare JSON (format 1.0), for consumers that predate the envelope. */
export const messagingV1Driver = defineNotifierDriver({ name: 'messaging', create: create('messaging', 1) });
