import type * as amqp from 'amqplib';

/** When a batch of acknowledgements goes out: whichever limit is reached first. */
export interface AckBatchLimits {
  /** The most deliveries one `basic.ack` acknowledges. */
  readonly maxPending: number;
  /** How long the first delivery of a batch waits for its acknowledgement (ms). */
  readonly delayMs: number;
}

/**
 * The reply queue's limits. A sequential caller gets about 3,000 replies a second on loopback: one frame
 * per 10 ms acknowledges some 30 of them, where one per reply cost the broker and this process a frame,
 * a socket write and a socket read each.
 */
export const REPLY_ACK_LIMITS: AckBatchLimits = Object.freeze({ maxPending: 64, delayMs: 10 });

/**
 * Acknowledges the deliveries of one channel in batches: one `basic.ack` with `multiple` set covers every
 * delivery up to the last one, sent once {@link AckBatchLimits.maxPending} deliveries wait or
 * {@link AckBatchLimits.delayMs} after the first of them.
 *
 * Only for a channel whose every delivery is acknowledged as it arrives, in delivery order (a call's reply
 * queue): `multiple` would acknowledge a delivery left unacknowledged on purpose too. What a batch still
 * holds when the channel dies is requeued by the broker and delivered again after the reconnection, as
 * any unacknowledged delivery is; the caller of a reply that comes twice has gone, and core drops it.
 */
export class AckBatcher {
  #last: amqp.Message | undefined;
  #pending = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly channel: amqp.Channel,
    private readonly limits: AckBatchLimits = REPLY_ACK_LIMITS,
  ) {}

  /** Deliveries waiting for their acknowledgement. */
  get pending(): number {
    return this.#pending;
  }

  /** Acknowledges `msg` (and every delivery before it) with the batch. */
  ack(msg: amqp.Message): void {
    this.#last = msg;
    if (++this.#pending >= this.limits.maxPending) this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#flushLater, this.limits.delayMs);
      // A process with nothing else to do may exit: the broker requeues what the batch held.
      this.#timer.unref();
    }
  }

  readonly #flushLater = (): void => {
    this.#timer = undefined;
    this.flush();
  };

  /** Sends the batch's acknowledgement now; `true` when one was handed to the channel. */
  flush(): boolean {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const last = this.#last;
    if (last === undefined) return false;
    this.#last = undefined;
    this.#pending = 0;
    try {
      this.channel.ack(last, true);
      return true;
    } catch {
      // The channel closed meanwhile: the broker requeued its deliveries, which come again on the next one.
      return false;
    }
  }

  /**
   * Sends the batch's acknowledgement and resolves once the broker has processed it (a `basic.qos` round
   * trip on the same channel, which the broker answers after every frame before it): for a shutdown, so
   * that closing the connection does not requeue replies that were taken. Never rejects: a channel that
   * closed meanwhile has nothing left to acknowledge.
   */
  async settle(): Promise<void> {
    if (!this.flush()) return;
    try {
      await this.channel.prefetch(0);
    } catch {
      // The channel closed before the broker answered: its deliveries were requeued, as after any close.
    }
  }
}
