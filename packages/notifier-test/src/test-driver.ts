import type { Context } from '@oslo-messaging/core';
import type { NotificationMessage, NotifierDriver } from '@oslo-messaging/core/spi';
import { NotificationStore, type SentNotification } from './notification-store.js';

/**
 * A notifier driver that keeps every notification in memory (Python: `TestDriver`). Each instance
 * keeps its own list ({@link TestNotifierDriver.notifications}) and also appends to a shared store
 * (the process-wide one for the default plugin).
 */
export class TestNotifierDriver implements NotifierDriver {
  readonly #own = new NotificationStore();

  constructor(private readonly shared: NotificationStore) {}

  /** What this driver instance received, oldest first. */
  get notifications(): readonly SentNotification[] {
    return this.#own.notifications;
  }

  /** Forgets what this instance received (the shared store is left alone). */
  reset(): void {
    this.#own.reset();
  }

  async notify(
    ctxt: Context,
    message: NotificationMessage,
    priority: string,
    retry: number | null | undefined,
  ): Promise<void> {
    const sent: SentNotification = { ctxt, message, priority, retry };
    this.#own.record(sent);
    this.shared.record(sent);
  }
}
