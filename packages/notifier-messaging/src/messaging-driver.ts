import { MessageDeliveryFailure, Target, type Context } from '@oslo-messaging/core';
import { type NotificationMessage, type NotificationSender, type NotifierDriver } from '@oslo-messaging/core/spi';

/** The message format a {@link MessagingNotifierDriver} publishes: 1 = bare JSON (`messaging`), 2 = oslo's 2.0 envelope (`messagingv2`). */
export type NotificationFormatVersion = 1 | 2;

/**
 * Publishes each notification through the transport, once per topic, to `<topic>.<priority>` on the
 * control exchange (Python: `MessagingDriver` / `MessagingV2Driver`).
 *
 * Every topic is tried even when one fails; failures are reported together as one
 * `MessageDeliveryFailure` (the notifier logs it and never throws to the caller).
 */
export class MessagingNotifierDriver implements NotifierDriver {
  constructor(
    private readonly transport: NotificationSender,
    readonly topics: readonly string[],
    readonly version: NotificationFormatVersion,
  ) {}

  async notify(
    ctxt: Context,
    message: NotificationMessage,
    priority: string,
    retry: number | null | undefined,
  ): Promise<void> {
    const level = priority.toLowerCase();
    const failures: Array<{ topic: string; err: unknown }> = [];
    // One topic after the other, as oslo does: a blocked send (retry forever) holds the next ones back.
    for (const topic of this.topics) {
      try {
        await this.transport.sendNotification(
          new Target({ topic: `${topic}.${level}` }),
          ctxt,
          message,
          this.version,
          retry,
        );
      } catch (err) {
        failures.push({ topic, err });
      }
    }
    if (failures.length === 0) return;
    const detail = failures
      .map(({ topic, err }) => `${topic}.${level}: ${err instanceof Error ? err.message : String(err)}`)
      .join('; ');
    throw new MessageDeliveryFailure(
      `Could not send notification ${String(message['event_type'])} (message_id ${String(message['message_id'])}) to ${detail}`,
      { cause: failures.length === 1 ? failures[0]!.err : new AggregateError(failures.map((f) => f.err)) },
    );
  }
}
