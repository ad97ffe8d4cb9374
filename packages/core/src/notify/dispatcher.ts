import type { Logger } from '../logger.js';
import { isThenable } from '../maybe-async.js';
import { NoOpSerializer, type Serializer } from '../serializer.js';
import type { Context } from '../spi/driver.js';
import type { NotificationFilter } from './filter.js';
import { isPriority, NotificationResult, PRIORITIES, type Priority } from './priorities.js';

/** `{message_id, timestamp}` of a notification, given to endpoints. */
export type NotificationMetadata = {
  /** The notification's UUID. */
  readonly message_id: unknown;
  /** When it was sent: `YYYY-MM-DD HH:MM:SS.ffffff`, UTC. */
  readonly timestamp: unknown;
};

/**
 * A notification endpoint: methods named after priorities (`info`, `error`, ...) taking
 * `(ctxt, publisherId, eventType, payload, metadata)`, and optionally a `filterRule`.
 * A method returns nothing (handled) or {@link NotificationResult.REQUEUE}. (Method syntax keeps
 * parameters bivariant, so handlers may annotate their context and payload types.)
 */
export interface NotificationEndpoint {
  /** Only notifications this filter matches reach the endpoint. */
  readonly filterRule?: NotificationFilter | undefined;
  /** Handles `AUDIT` notifications. */
  audit?(
    ctxt: unknown,
    publisherId: string,
    eventType: string,
    payload: unknown,
    metadata: NotificationMetadata,
  ): unknown;
  /** Handles `DEBUG` notifications. */
  debug?(
    ctxt: unknown,
    publisherId: string,
    eventType: string,
    payload: unknown,
    metadata: NotificationMetadata,
  ): unknown;
  /** Handles `INFO` notifications. */
  info?(
    ctxt: unknown,
    publisherId: string,
    eventType: string,
    payload: unknown,
    metadata: NotificationMetadata,
  ): unknown;
  /** Handles `WARN` notifications. */
  warn?(
    ctxt: unknown,
    publisherId: string,
    eventType: string,
    payload: unknown,
    metadata: NotificationMetadata,
  ): unknown;
  /** Handles `ERROR` notifications. */
  error?(
    ctxt: unknown,
    publisherId: string,
    eventType: string,
    payload: unknown,
    metadata: NotificationMetadata,
  ): unknown;
  /** Handles `CRITICAL` notifications. */
  critical?(
    ctxt: unknown,
    publisherId: string,
    eventType: string,
    payload: unknown,
    metadata: NotificationMetadata,
  ): unknown;
  /** Handles `SAMPLE` notifications. */
  sample?(
    ctxt: unknown,
    publisherId: string,
    eventType: string,
    payload: unknown,
    metadata: NotificationMetadata,
  ): unknown;
}

/** One notification as a batch endpoint receives it. */
export interface BatchNotification {
  /** The request context (through the listener's serializer). */
  readonly ctxt: unknown;
  /** Who sent it, e.g. `compute.host1`. */
  readonly publisher_id: string;
  /** What happened, e.g. `compute.instance.create.end`. */
  readonly event_type: string;
  /** The body (through the listener's serializer). */
  readonly payload: unknown;
  /** Its id and timestamp. */
  readonly metadata: NotificationMetadata;
  /** Its priority, lower case. */
  readonly priority: Priority;
}

/** A batch endpoint: methods named after priorities taking an array of {@link BatchNotification}. */
export interface BatchNotificationEndpoint {
  /** Only notifications this filter matches reach the endpoint. */
  readonly filterRule?: NotificationFilter | undefined;
  /** Handles a batch of `AUDIT` notifications. */
  audit?(messages: BatchNotification[]): unknown;
  /** Handles a batch of `DEBUG` notifications. */
  debug?(messages: BatchNotification[]): unknown;
  /** Handles a batch of `INFO` notifications. */
  info?(messages: BatchNotification[]): unknown;
  /** Handles a batch of `WARN` notifications. */
  warn?(messages: BatchNotification[]): unknown;
  /** Handles a batch of `ERROR` notifications. */
  error?(messages: BatchNotification[]): unknown;
  /** Handles a batch of `CRITICAL` notifications. */
  critical?(messages: BatchNotification[]): unknown;
  /** Handles a batch of `SAMPLE` notifications. */
  sample?(messages: BatchNotification[]): unknown;
}

/** The priorities at least one endpoint handles. */
export function endpointPriorities(endpoints: readonly object[]): Priority[] {
  return PRIORITIES.filter((p) => endpoints.some((e) => typeof (e as Record<string, unknown>)[p] === 'function'));
}

/** Decodes one raw notification into what endpoints receive; `undefined` priority when unknown. */
export async function toBatchNotification(
  serializer: Serializer<unknown>,
  ctxt: Context,
  message: Readonly<Record<string, unknown>>,
): Promise<BatchNotification | { priority: undefined; raw: string }> {
  return await decodeNotification(serializer, ctxt, message);
}

type Decoded = BatchNotification | { priority: undefined; raw: string };

/** {@link toBatchNotification} without a promise while the serializer returns plain values. */
function decodeNotification(
  serializer: Serializer<unknown>,
  ctxt: Context,
  message: Readonly<Record<string, unknown>>,
): Decoded | Promise<Decoded> {
  const raw = String(message['priority'] ?? '').toLowerCase();
  if (!isPriority(raw)) return { priority: undefined, raw };
  const c = serializer.deserializeContext(ctxt);
  if (isThenable(c)) return Promise.resolve(c).then((done) => decodeWith(serializer, done, message, raw));
  return decodeWith(serializer, c, message, raw);
}

function decodeWith(
  serializer: Serializer<unknown>,
  ctxt: unknown,
  message: Readonly<Record<string, unknown>>,
  priority: Priority,
): Decoded | Promise<Decoded> {
  const payload = serializer.deserializeEntity(ctxt, message['payload']);
  const note = (p: unknown): BatchNotification => ({
    ctxt,
    publisher_id: String(message['publisher_id'] ?? ''),
    event_type: String(message['event_type'] ?? ''),
    payload: p,
    metadata: { message_id: message['message_id'], timestamp: message['timestamp'] },
    priority,
  });
  return isThenable(payload) ? Promise.resolve(payload).then(note) : note(payload);
}

/** Routes notifications to endpoint methods (Python: `NotificationDispatcher`). */
export class NotificationDispatcher {
  constructor(
    /** The endpoints, tried in order. */
    readonly endpoints: readonly NotificationEndpoint[],
    /** Deserializes contexts and payloads before dispatch. */
    readonly serializer: Serializer<unknown> = new NoOpSerializer(),
    private readonly logger: Logger,
  ) {}

  /** Dispatches one notification; returns HANDLED or REQUEUE (an endpoint error counts as REQUEUE). */
  async dispatch(ctxt: Context, message: Readonly<Record<string, unknown>>): Promise<NotificationResult> {
    return await this.invoke(ctxt, message);
  }

  /**
   * {@link NotificationDispatcher.dispatch} without a promise where none is needed: the result itself
   * while the serializer and the endpoints return plain values, else a promise of it. Never throws
   * what an endpoint throws (that is REQUEUE); a serializer's failure is thrown or rejected.
   * @internal
   */
  invoke(ctxt: Context, message: Readonly<Record<string, unknown>>): NotificationResult | Promise<NotificationResult> {
    const n = decodeNotification(this.serializer, ctxt, message);
    if (isThenable(n)) return Promise.resolve(n).then((note) => this.#deliver(ctxt, note, 0));
    return this.#deliver(ctxt, n, 0);
  }

  /** Hands `n` to the endpoints from index `from` on, in order, until one asks for a requeue. */
  #deliver(ctxt: Context, n: Decoded, from: number): NotificationResult | Promise<NotificationResult> {
    if (n.priority === undefined) {
      this.logger.warn(`Unknown priority "${(n as { raw: string }).raw}"`);
      return NotificationResult.HANDLED;
    }
    const note = n;
    const endpoints = this.endpoints;
    for (let i = from; i < endpoints.length; i++) {
      const endpoint = endpoints[i]!;
      // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call(endpoint) below
      const fn = endpoint[note.priority];
      if (typeof fn !== 'function') continue;
      if (
        endpoint.filterRule &&
        !endpoint.filterRule.match(ctxt, note.publisher_id, note.event_type, note.metadata, note.payload)
      )
        continue;
      let r: unknown;
      try {
        r = fn.call(endpoint, note.ctxt, note.publisher_id, note.event_type, note.payload, note.metadata);
      } catch (err) {
        return this.#failed(note, err);
      }
      if (isThenable(r))
        return Promise.resolve(r).then(
          (done) => (done === NotificationResult.REQUEUE ? done : this.#deliver(ctxt, note, i + 1)),
          (err: unknown) => this.#failed(note, err),
        );
      if (r === NotificationResult.REQUEUE) return NotificationResult.REQUEUE;
    }
    return NotificationResult.HANDLED;
  }

  #failed(note: BatchNotification, err: unknown): NotificationResult {
    this.logger.error('Exception during notification handling', { eventType: note.event_type, err });
    return NotificationResult.REQUEUE;
  }
}
