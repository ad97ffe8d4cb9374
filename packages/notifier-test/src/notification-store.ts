import type { Context } from '@oslo-messaging/core';
import type { NotificationMessage } from '@oslo-messaging/core/spi';

/** One notification as the `test` driver received it: oslo's `(ctxt, message, priority, retry)` tuple. */
export interface SentNotification {
  /** The context as sent (already reduced to oslo's safe keys by the notifier). */
  readonly ctxt: Context;
  /** The notification: `message_id`, `publisher_id`, `event_type`, `priority` (upper case), `payload`, `timestamp`. */
  readonly message: NotificationMessage;
  /** The priority in lower case, as drivers receive it. */
  readonly priority: string;
  /** The notifier's retry setting for this send. */
  readonly retry: number | null | undefined;
}

/** An in-memory list of notifications, in the order they were sent. */
export class NotificationStore {
  readonly #sent: SentNotification[] = [];

  /** A snapshot of what was recorded, oldest first. */
  get notifications(): readonly SentNotification[] {
    return [...this.#sent];
  }

  /** Appends one notification. */
  record(notification: SentNotification): void {
    this.#sent.push(notification);
  }

  /** Forgets everything recorded (Python: `_impl_test.reset()`). */
  reset(): void {
    this.#sent.length = 0;
  }
}

/** The process-wide store of the default `test` driver (Python: the module list `NOTIFICATIONS`). */
export const defaultNotificationStore = new NotificationStore();

/** What every driver made by the default `test` plugin has recorded in this process, oldest first. */
export function getNotifications(): readonly SentNotification[] {
  return defaultNotificationStore.notifications;
}

/** Clears the process-wide store (Python: `oslo_messaging.notify._impl_test.reset()`). */
export function resetNotifications(): void {
  defaultNotificationStore.reset();
}
