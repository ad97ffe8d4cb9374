import type { NotifierDriver } from '@oslo-messaging/core/spi';

/** A notifier driver that accepts every notification and sends it nowhere (Python: `NoOpDriver`). */
export class NoopNotifierDriver implements NotifierDriver {
  async notify(): Promise<void> {
    // Dropping the notification is the whole job.
  }
}
