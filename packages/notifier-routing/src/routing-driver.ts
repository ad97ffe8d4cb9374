import { MessageDeliveryFailure, type Context, type Logger } from '@oslo-messaging/core';
import { type NotificationMessage, type NotifierDriver } from '@oslo-messaging/core/spi';
import { selectDrivers, type RoutingConfig } from './routing-config.js';

/**
 * Sends each notification to the drivers its routing configuration selects (Python:
 * `RoutingDriver`). Target drivers are loaded on first use, once, through the notifier (so they
 * get its transport, topics and settings: upstream's sub-drivers get none and cannot work).
 */
export class RoutingNotifierDriver implements NotifierDriver {
  readonly #drivers = new Map<string, Promise<NotifierDriver>>();

  constructor(
    readonly config: RoutingConfig,
    private readonly loadDriver: (name: string) => Promise<NotifierDriver>,
    private readonly logger: Logger,
  ) {}

  /** The driver names a notification would go to. */
  driversFor(eventType: string, priority: string): string[] {
    return selectDrivers(this.config, eventType, priority);
  }

  #driver(name: string): Promise<NotifierDriver> {
    let loading = this.#drivers.get(name);
    if (!loading) {
      loading = this.loadDriver(name);
      this.#drivers.set(name, loading);
      // A driver that failed to load is tried again on a later notification.
      loading.catch(() => this.#drivers.delete(name));
    }
    return loading;
  }

  async notify(
    ctxt: Context,
    message: NotificationMessage,
    priority: string,
    retry: number | null | undefined,
  ): Promise<void> {
    const eventType = String(message['event_type'] ?? '');
    const names = this.driversFor(eventType, priority);
    const results = await Promise.allSettled(
      names.map(async (name) => {
        this.logger.info(`Routing '${eventType}' notification to '${name}' driver`, {
          event_type: eventType,
          driver: name,
        });
        const driver = await this.#driver(name);
        await driver.notify(ctxt, message, priority, retry);
      }),
    );
    const failures = results.flatMap((r, i) =>
      r.status === 'rejected' ? [{ name: names[i]!, err: r.reason as unknown }] : [],
    );
    if (failures.length === 0) return;
    const detail = failures
      .map(({ name, err }) => `'${name}': ${err instanceof Error ? err.message : String(err)}`)
      .join('; ');
    throw new MessageDeliveryFailure(`Routing '${eventType}' notification failed for driver ${detail}`, {
      cause: failures.length === 1 ? failures[0]!.err : new AggregateError(failures.map((f) => f.err)),
    });
  }
}
