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

  /** The target of each topic at each level, made once (not a `Target` per notification). */
  readonly #targets = new Map<string, readonly Target[]>();

  notify(
    ctxt: Context,
    message: NotificationMessage,
    priority: string,
    retry: number | null | undefined,
  ): Promise<void> {
    const level = priority.toLowerCase();
    let targets = this.#targets.get(level);
    if (targets === undefined) {
      targets = this.topics.map((topic) => new Target({ topic: `${topic}.${level}` }));
      this.#targets.set(level, targets);
    }
    if (targets.length === 1) {
      // One topic (the usual case): the transport's promise is the notification's.
      const topic = this.topics[0]!;
      let sent: Promise<void>;
      try {
        sent = this.transport.sendNotification(targets[0]!, ctxt, message, this.version, retry);
      } catch (err) {
        return Promise.reject(this.#failure(message, level, [{ topic, err }]));
      }
      return sent.then(undefined, (err: unknown) => {
        throw this.#failure(message, level, [{ topic, err }]);
      });
    }
    return this.#notifyEach(targets, ctxt, message, level, retry);
  }

  async #notifyEach(
    targets: readonly Target[],
    ctxt: Context,
    message: NotificationMessage,
    level: string,
    retry: number | null | undefined,
  ): Promise<void> {
    const failures: Array<{ topic: string; err: unknown }> = [];
    // One topic after the other, as oslo does: a blocked send (retry forever) holds the next ones back.
    for (let i = 0; i < targets.length; i++) {
      try {
        await this.transport.sendNotification(targets[i]!, ctxt, message, this.version, retry);
      } catch (err) {
        failures.push({ topic: this.topics[i]!, err });
      }
    }
    if (failures.length > 0) throw this.#failure(message, level, failures);
  }

  #failure(
    message: NotificationMessage,
    level: string,
    failures: ReadonlyArray<{ topic: string; err: unknown }>,
  ): MessageDeliveryFailure {
    const detail = failures
      .map(({ topic, err }) => `${topic}.${level}: ${err instanceof Error ? err.message : String(err)}`)
      .join('; ');
    return new MessageDeliveryFailure(
      `Could not send notification ${String(message['event_type'])} (message_id ${String(message['message_id'])}) to ${detail}`,
      { cause: failures.length === 1 ? failures[0]!.err : new AggregateError(failures.map((f) => f.err)) },
    );
  }
}
