import { isThenable, RESOLVED } from '../maybe-async.js';
import { NoOpSerializer, type Serializer } from '../serializer.js';
import { MessageHandlingServer, type ServerOptions } from '../server/message-handling-server.js';
import type { Context, IncomingMessage, Listener } from '../spi/driver.js';
import { assertNotificationListenable, Target, type TargetFields } from '../target.js';
import type { Transport } from '../transport.js';
import { ConfigurationError } from '../errors.js';
import {
  endpointPriorities,
  NotificationDispatcher,
  toBatchNotification,
  type BatchNotification,
  type BatchNotificationEndpoint,
  type NotificationEndpoint,
} from './dispatcher.js';
import { NotificationResult, type Priority } from './priorities.js';

/** Options of {@link getNotificationListener}. */
export interface NotificationListenerOptions<Ctxt = Context> extends ServerOptions {
  /** Rebuilds contexts and payloads (default {@link NoOpSerializer}). */
  readonly serializer?: Serializer<Ctxt> | undefined;
  /** Honour REQUEUE results (default false: they are acknowledged, as in oslo's factory). */
  readonly allowRequeue?: boolean | undefined;
  /** Listener pool: each pool gets every notification once; members of a pool share them. */
  readonly pool?: string | undefined;
}

/** Options of {@link getBatchNotificationListener}. */
export interface BatchNotificationListenerOptions<Ctxt = Context> extends NotificationListenerOptions<Ctxt> {
  /** Deliver at most this many notifications per call (default 1). */
  readonly batchSize?: number | undefined;
  /** Deliver a partial batch after this many seconds from its first message (default: wait for a full batch). */
  readonly batchTimeout?: number | undefined;
}

abstract class NotificationServerBase extends MessageHandlingServer {
  /** The targets listened to (each with every priority an endpoint handles). */
  readonly targets: readonly Target[];
  /** Rebuilds contexts and payloads. */
  protected readonly serializer: Serializer<unknown>;
  /** Whether a REQUEUE result gives the notification back (else it is acknowledged). */
  protected readonly allowRequeue: boolean;
  readonly #pool: string | undefined;
  readonly #priorities: Priority[];

  protected constructor(
    transport: Transport,
    targets: ReadonlyArray<Target | TargetFields>,
    endpoints: readonly object[],
    options: NotificationListenerOptions<unknown>,
  ) {
    super(transport, options);
    this.targets = targets.map((t) => Target.from(t));
    if (this.targets.length === 0) throw new ConfigurationError('A notification listener needs at least one target');
    this.targets.forEach(assertNotificationListenable);
    this.serializer = options.serializer ?? new NoOpSerializer();
    this.allowRequeue = options.allowRequeue ?? false;
    this.#pool = options.pool;
    this.#priorities = endpointPriorities(endpoints);
    if (this.#priorities.length === 0)
      throw new ConfigurationError(
        'No endpoint implements a notification priority method (audit, debug, info, warn, error, critical, sample)',
      );
  }

  protected createListener(): Promise<Listener> {
    const pairs = this.targets.flatMap((t) => this.#priorities.map((p) => [t, p] as const));
    return this.transport.driver.listenForNotifications(pairs, { pool: this.#pool });
  }

  /** Acknowledges the messages, or requeues them when `result` is REQUEUE and requeue is allowed. */
  protected async settle(messages: readonly IncomingMessage[], result: NotificationResult): Promise<void> {
    for (const m of messages) {
      try {
        if (result === NotificationResult.REQUEUE && this.allowRequeue) await m.requeue();
        else await m.acknowledge();
      } catch (err) {
        this.logger.warn('Failed to settle a notification', { err });
      }
    }
  }
}

/** Consumes notifications one at a time (Python: `NotificationServer`). */
export class NotificationServer extends NotificationServerBase {
  /** Routes each notification to the endpoints' priority methods. */
  readonly dispatcher: NotificationDispatcher;
  constructor(
    transport: Transport,
    targets: ReadonlyArray<Target | TargetFields>,
    endpoints: readonly NotificationEndpoint[],
    options: NotificationListenerOptions<unknown> = {},
  ) {
    super(transport, targets, endpoints, options);
    this.dispatcher = new NotificationDispatcher(endpoints, this.serializer, transport.logger);
  }

  /** Dispatches and settles; synchronous while the endpoints and the serializer are. Never rejects. */
  protected processIncoming(incoming: IncomingMessage): Promise<void> {
    let result: NotificationResult | Promise<NotificationResult>;
    try {
      result = this.dispatcher.invoke(incoming.ctxt, incoming.message);
    } catch (err) {
      result = this.#dispatchFailed(err);
    }
    if (isThenable(result))
      return Promise.resolve(result).then(
        (r) => this.#settleOne(incoming, r),
        (err: unknown) => this.#settleOne(incoming, this.#dispatchFailed(err)),
      );
    return this.#settleOne(incoming, result);
  }

  #dispatchFailed(err: unknown): NotificationResult {
    this.logger.error('Exception during notification dispatch', { err });
    return NotificationResult.REQUEUE;
  }

  /** {@link NotificationServerBase.settle} of one message, without a promise when the driver settles at once. */
  #settleOne(m: IncomingMessage, result: NotificationResult): Promise<void> {
    let settled: Promise<void>;
    try {
      settled = result === NotificationResult.REQUEUE && this.allowRequeue ? m.requeue() : m.acknowledge();
    } catch (err) {
      this.#settleFailed(err);
      return RESOLVED;
    }
    // The task ends here; wait() waits for the settlement, but not for ever (see handOffBrokerWork).
    return this.handOffBrokerWork(settled);
  }

  /** A settlement the driver failed to make. */
  protected override brokerWorkFailed(err: unknown): void {
    this.#settleFailed(err);
  }

  readonly #settleFailed = (err: unknown): void => {
    this.logger.warn('Failed to settle a notification', { err });
  };
}

/** Consumes notifications in batches (Python: `BatchNotificationServer`). */
export class BatchNotificationServer extends NotificationServerBase {
  readonly #endpoints: readonly BatchNotificationEndpoint[];
  readonly #batchSize: number;
  readonly #batchTimeout: number | undefined;
  #buffer: IncomingMessage[] = [];
  #timer: NodeJS.Timeout | undefined;
  #submit: ((task: () => Promise<void>) => Promise<void>) | undefined;

  constructor(
    transport: Transport,
    targets: ReadonlyArray<Target | TargetFields>,
    endpoints: readonly BatchNotificationEndpoint[],
    options: BatchNotificationListenerOptions<unknown> = {},
  ) {
    super(transport, targets, endpoints, options);
    this.#endpoints = endpoints;
    this.#batchSize = Math.max(1, options.batchSize ?? 1);
    this.#batchTimeout = options.batchTimeout;
  }

  protected override onIncoming(
    message: IncomingMessage,
    submit: (task: () => Promise<void>) => Promise<void>,
  ): Promise<void> {
    this.#submit = submit;
    this.#buffer.push(message);
    if (this.#buffer.length >= this.#batchSize) return this.#flush();
    if (this.#buffer.length === 1 && this.#batchTimeout !== undefined) {
      this.#timer = setTimeout(
        () => void this.#flush().catch((err: unknown) => this.logger.error('Batch flush failed', { err })),
        this.#batchTimeout * 1000,
      );
    }
    return Promise.resolve();
  }

  protected override async afterListenerStopped(submit: (task: () => Promise<void>) => Promise<void>): Promise<void> {
    this.#submit = submit;
    await this.#flush();
  }

  #flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#buffer;
    this.#buffer = [];
    if (batch.length === 0 || !this.#submit) return Promise.resolve();
    return this.#submit(() => this.#processBatch(batch));
  }

  protected processIncoming(incoming: IncomingMessage): Promise<void> {
    return this.#processBatch([incoming]);
  }

  async #processBatch(batch: IncomingMessage[]): Promise<void> {
    const groups = new Map<Priority, Array<{ raw: IncomingMessage; note: BatchNotification }>>();
    const unknown: IncomingMessage[] = [];
    for (const raw of batch) {
      try {
        const note = await toBatchNotification(this.serializer, raw.ctxt, raw.message);
        if (note.priority === undefined) unknown.push(raw);
        else {
          const list = groups.get(note.priority) ?? [];
          list.push({ raw, note });
          groups.set(note.priority, list);
        }
      } catch (err) {
        this.logger.error('Failed to decode a notification', { err });
        unknown.push(raw);
      }
    }
    await this.settle(unknown, NotificationResult.HANDLED);
    for (const [priority, items] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
      let result: NotificationResult = NotificationResult.HANDLED;
      for (const endpoint of this.#endpoints) {
        // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call(endpoint) below
        const fn = endpoint[priority];
        if (typeof fn !== 'function') continue;
        const selected = items
          .filter(
            ({ note }) =>
              !endpoint.filterRule ||
              endpoint.filterRule.match(
                note.ctxt as Context,
                note.publisher_id,
                note.event_type,
                note.metadata as unknown as Record<string, unknown>,
                note.payload,
              ),
          )
          .map(({ note }) => note);
        if (selected.length === 0) continue;
        try {
          if ((await fn.call(endpoint, selected)) === NotificationResult.REQUEUE) result = NotificationResult.REQUEUE;
        } catch (err) {
          this.logger.error('Exception during batch notification handling', { err });
          result = NotificationResult.REQUEUE;
        }
        if (result === NotificationResult.REQUEUE) break;
      }
      await this.settle(
        items.map((i) => i.raw),
        result,
      );
    }
  }
}

/**
 * Creates a notification listener (Python: `get_notification_listener`). Endpoints have methods named after
 * priorities (`info`, `error`, ...) taking `(ctxt, publisherId, eventType, payload, metadata)`; `start()` begins
 * consuming, `stop()` then `wait()` end it.
 *
 * @example
 * ```ts
 * const transport = await getNotificationTransport({ url: 'rabbit://guest:guest@127.0.0.1:5672/' });
 * const listener = getNotificationListener(transport, [{ topic: 'notifications' }], [{
 *   filterRule: new NotificationFilter({ eventType: 'compute\\.instance\\..*' }),
 *   info(ctxt, publisherId, eventType, payload) {
 *     console.log(eventType, payload);
 *   },
 * }], { pool: 'ceilometer', executor: 'pool' });
 * await listener.start();
 * // ...
 * await listener.stop();
 * await listener.wait();
 * ```
 *
 * @param transport - a notification transport ({@link getNotificationTransport})
 * @param targets - the topics (and exchanges) to listen to
 * @param endpoints - objects with priority methods, tried in order
 * @param options - pool, executor, serializer, allowRequeue
 * @throws {@link ConfigurationError} when there is no target or no endpoint has a priority method
 * @throws {@link InvalidTarget} when a target has no topic
 */
export function getNotificationListener<Ctxt = Context>(
  transport: Transport,
  targets: ReadonlyArray<Target | TargetFields>,
  endpoints: readonly NotificationEndpoint[],
  options: NotificationListenerOptions<Ctxt> = {},
): NotificationServer {
  return new NotificationServer(transport, targets, endpoints, options);
}

/**
 * Creates a batch notification listener (Python: `get_batch_notification_listener`): endpoint methods receive
 * arrays of {@link BatchNotification}, up to `batchSize` at a time, or what arrived within `batchTimeout` seconds.
 *
 * @throws {@link ConfigurationError} when there is no target or no endpoint has a priority method
 * @throws {@link InvalidTarget} when a target has no topic
 */
export function getBatchNotificationListener<Ctxt = Context>(
  transport: Transport,
  targets: ReadonlyArray<Target | TargetFields>,
  endpoints: readonly BatchNotificationEndpoint[],
  options: BatchNotificationListenerOptions<Ctxt> = {},
): BatchNotificationServer {
  return new BatchNotificationServer(transport, targets, endpoints, options);
}
