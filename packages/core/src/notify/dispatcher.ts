import type { Logger } from '../logger.js';
import { NoOpSerializer, type Serializer } from '../serializer.js';
import type { Context } from '../spi/driver.js';
import type { NotificationFilter } from './filter.js';
import { isPriority, NotificationResult, PRIORITIES, type Priority } from './priorities.js';

/** `{message_id, timestamp}` of a notification, given to endpoints. */
export type NotificationMetadata = {
  readonly message_id: unknown;
  readonly timestamp: unknown;
};

/**
 * A notification endpoint: methods named after priorities (`info`, `error`, ...) taking
 * `(ctxt, publisherId, eventType, payload, metadata)`, and optionally a `filterRule`.
 * A method returns nothing (handled) or {@link NotificationResult.REQUEUE}. (Method syntax keeps
 * parameters bivariant, so handlers may annotate their context and payload types.)
 */
export interface NotificationEndpoint {
  readonly filterRule?: NotificationFilter | undefined;
  audit?(ctxt: unknown, publisherId: string, eventType: string, payload: unknown, metadata: NotificationMetadata): unknown;
  debug?(ctxt: unknown, publisherId: string, eventType: string, payload: unknown, metadata: NotificationMetadata): unknown;
  info?(ctxt: unknown, publisherId: string, eventType: string, payload: unknown, metadata: NotificationMetadata): unknown;
  warn?(ctxt: unknown, publisherId: string, eventType: string, payload: unknown, metadata: NotificationMetadata): unknown;
  error?(ctxt: unknown, publisherId: string, eventType: string, payload: unknown, metadata: NotificationMetadata): unknown;
  critical?(ctxt: unknown, publisherId: string, eventType: string, payload: unknown, metadata: NotificationMetadata): unknown;
  sample?(ctxt: unknown, publisherId: string, eventType: string, payload: unknown, metadata: NotificationMetadata): unknown;
}

/** One notification as a batch endpoint receives it. */
export interface BatchNotification {
  readonly ctxt: unknown;
  readonly publisher_id: string;
  readonly event_type: string;
  readonly payload: unknown;
  readonly metadata: NotificationMetadata;
  readonly priority: Priority;
}

/** A batch endpoint: methods named after priorities taking an array of {@link BatchNotification}. */
export interface BatchNotificationEndpoint {
  readonly filterRule?: NotificationFilter | undefined;
  audit?(messages: BatchNotification[]): unknown;
  debug?(messages: BatchNotification[]): unknown;
  info?(messages: BatchNotification[]): unknown;
  warn?(messages: BatchNotification[]): unknown;
  error?(messages: BatchNotification[]): unknown;
  critical?(messages: BatchNotification[]): unknown;
  sample?(messages: BatchNotification[]): unknown;
}

/** The priorities at least one endpoint handles. */
export function endpointPriorities(endpoints: readonly object[]): Priority[] {
  return PRIORITIES.filter((p) => endpoints.some((e) => typeof (e as Record<string, unknown>)[p] === 'function'));
}

/** Decodes one raw notification into what endpoints receive; `undefined` priority when unknown. */
export async function toBatchNotification(serializer: Serializer<unknown>, ctxt: Context, message: Readonly<Record<string, unknown>>): Promise<BatchNotification | { priority: undefined; raw: string }> {
  const raw = String(message['priority'] ?? '').toLowerCase();
  if (!isPriority(raw)) return { priority: undefined, raw };
  const c = await serializer.deserializeContext(ctxt);
  return {
    ctxt: c,
    publisher_id: String(message['publisher_id'] ?? ''),
    event_type: String(message['event_type'] ?? ''),
    payload: await serializer.deserializeEntity(c, message['payload']),
    metadata: { message_id: message['message_id'], timestamp: message['timestamp'] },
    priority: raw,
  };
}

/** Routes notifications to endpoint methods (Python: `NotificationDispatcher`). */
export class NotificationDispatcher {
  constructor(
    readonly endpoints: readonly NotificationEndpoint[],
    readonly serializer: Serializer<unknown> = new NoOpSerializer() as Serializer<unknown>,
    private readonly logger: Logger,
  ) {}

  /** Dispatches one notification; returns HANDLED or REQUEUE (an endpoint error counts as REQUEUE). */
  async dispatch(ctxt: Context, message: Readonly<Record<string, unknown>>): Promise<NotificationResult> {
    const n = await toBatchNotification(this.serializer, ctxt, message);
    if (n.priority === undefined) {
      this.logger.warn(`Unknown priority "${(n as { raw: string }).raw}"`);
      return NotificationResult.HANDLED;
    }
    const note = n as BatchNotification;
    for (const endpoint of this.endpoints) {
      const fn = endpoint[note.priority];
      if (typeof fn !== 'function') continue;
      if (endpoint.filterRule && !endpoint.filterRule.match(ctxt, note.publisher_id, note.event_type, note.metadata as unknown as Record<string, unknown>, note.payload)) continue;
      try {
        const r = await fn.call(endpoint, note.ctxt, note.publisher_id, note.event_type, note.payload, note.metadata);
        if (r === NotificationResult.REQUEUE) return NotificationResult.REQUEUE;
      } catch (err) {
        this.logger.error('Exception during notification handling', { eventType: note.event_type, err });
        return NotificationResult.REQUEUE;
      }
    }
    return NotificationResult.HANDLED;
  }
}
