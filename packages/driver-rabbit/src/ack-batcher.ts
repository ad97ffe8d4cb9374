import type * as amqp from 'amqplib';

/** When a batch of acknowledgements goes out: whichever limit is reached first. */
export interface AckBatchLimits {
  /** The most acknowledgements a batch holds. */
  readonly maxPending: number;
  /** How long the first acknowledgement of a batch waits (ms). */
  readonly delayMs: number;
}

/**
 * The reply queue's limits. A sequential caller gets about 3,000 replies a second on loopback: one frame
 * per 10 ms acknowledges some 30 of them, where one per reply cost the broker and this process a frame,
 * a socket write and a socket read each.
 */
export const REPLY_ACK_LIMITS: AckBatchLimits = Object.freeze({ maxPending: 64, delayMs: 10 });

/**
 * A notification listener's limits on a channel with prefetch `prefetch` (0: none). A batch must not
 * hold the whole prefetch window, or the broker would stop delivering until the timer sends it.
 */
export function listenerAckLimits(prefetch: number): AckBatchLimits {
  const maxPending = prefetch > 0 ? Math.max(1, Math.min(64, Math.floor(prefetch / 2))) : 64;
  return { maxPending, delayMs: 10 };
}

/** How many deliveries settled above an unsettled one are remembered before the batcher gives up batching. */
export const AHEAD_LIMIT = 4096;

/**
 * Settles the deliveries of one channel, sending acknowledgements in batches: one `basic.ack` with
 * `multiple` set covers every delivery up to a tag once every delivery up to it is settled, sent once
 * {@link AckBatchLimits.maxPending} acknowledgements wait or {@link AckBatchLimits.delayMs} after the
 * first of them. Every delivery of the channel must be settled through the batcher (delivery tags
 * count 1, 2, 3... per channel, and the batcher relies on that).
 *
 * Deliveries may be settled in any order: an acknowledgement above a delivery not settled yet waits
 * in the batch and is sent alone when the batch goes out (a slow handler does not hold back the
 * others' acknowledgements beyond the delay); a rejection is sent at once. A `multiple` acknowledgement
 * never covers a delivery left unsettled, and never names a delivery already settled on its own.
 *
 * What a batch still holds when the channel dies is requeued by the broker and delivered again after
 * the reconnection, as any unacknowledged delivery is: a reply whose caller has gone is dropped by
 * core; a notification is handled again (at-least-once, as oslo's acknowledgement after handling is).
 */
export class AckBatcher {
  /** Every delivery up to this tag is settled (acknowledged, in the batch or sent, or rejected). */
  #settledUpTo = 0;
  /** The highest delivery whose acknowledgement waits in the batch and is covered by a `multiple` one. */
  #batchTop: amqp.Message | undefined;
  /** Acknowledged above a delivery not settled yet (tag → delivery), waiting in the batch. */
  readonly #ahead = new Map<number, amqp.Message>();
  /** Settled above a delivery not settled yet, and already told to the broker (rejected, or acknowledged alone). */
  readonly #aheadSent = new Set<number>();
  #pending = 0;
  #timer: NodeJS.Timeout | undefined;
  /**
   * Set once {@link AHEAD_LIMIT} deliveries were settled above one left unsettled (a handler that never
   * ends): from then on every delivery of the channel is settled alone, and nothing more is remembered.
   */
  #direct = false;

  constructor(
    readonly channel: amqp.Channel,
    private readonly limits: AckBatchLimits = REPLY_ACK_LIMITS,
    /** The channel's prefetch count, sent again by {@link AckBatcher.settle} as its round trip. */
    private readonly prefetch = 0,
  ) {}

  /** Acknowledgements waiting in the batch. */
  get pending(): number {
    return this.#pending;
  }

  /** Acknowledges `msg` with the batch. */
  ack(msg: amqp.Message): void {
    if (this.#direct) return this.channel.ack(msg);
    const tag = msg.fields.deliveryTag;
    if (tag === this.#settledUpTo + 1) {
      this.#settledUpTo = tag;
      this.#batchTop = msg;
      if (this.#ahead.size > 0 || this.#aheadSent.size > 0) this.#advance();
    } else if (tag > this.#settledUpTo && !this.#ahead.has(tag) && !this.#aheadSent.has(tag)) {
      this.#ahead.set(tag, msg);
    } else {
      return; // settled already: a second acknowledgement would close the channel
    }
    if (++this.#pending >= this.limits.maxPending) this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#flushLater, this.limits.delayMs);
      // A process with nothing else to do may exit: the broker requeues what the batch held.
      this.#timer.unref();
    }
  }

  /** Rejects `msg` at once (`requeue`: the broker delivers it again). Throws when the channel is closed. */
  reject(msg: amqp.Message, requeue: boolean): void {
    if (this.#direct) return this.channel.reject(msg, requeue);
    const tag = msg.fields.deliveryTag;
    if (tag <= this.#settledUpTo || this.#ahead.has(tag) || this.#aheadSent.has(tag)) return;
    this.channel.reject(msg, requeue);
    if (tag === this.#settledUpTo + 1) {
      this.#settledUpTo = tag;
      this.#advance();
    } else {
      this.#aheadSent.add(tag);
      if (this.#aheadSent.size > AHEAD_LIMIT) this.flush();
    }
  }

  /** Moves {@link #settledUpTo} over the deliveries settled out of order that now follow it. */
  #advance(): void {
    for (;;) {
      const next = this.#settledUpTo + 1;
      const acked = this.#ahead.get(next);
      if (acked !== undefined) {
        this.#ahead.delete(next);
        this.#batchTop = acked;
      } else if (!this.#aheadSent.delete(next)) {
        return;
      }
      this.#settledUpTo = next;
    }
  }

  readonly #flushLater = (): void => {
    this.#timer = undefined;
    this.flush();
  };

  /** Sends the batch's acknowledgements now; `true` when any was handed to the channel. */
  flush(): boolean {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#pending = 0;
    const top = this.#batchTop;
    this.#batchTop = undefined;
    let sent = false;
    try {
      if (top !== undefined) {
        this.channel.ack(top, true);
        sent = true;
      }
      // Above a delivery still unsettled: alone, so that they do not wait for it.
      for (const [tag, msg] of this.#ahead) {
        this.channel.ack(msg);
        this.#ahead.delete(tag);
        this.#aheadSent.add(tag);
        sent = true;
      }
      // Too many settled above one that is not (a handler that never ends): see #direct.
      if (this.#aheadSent.size > AHEAD_LIMIT) {
        this.#direct = true;
        this.#aheadSent.clear();
      }
    } catch {
      // The channel closed meanwhile: the broker requeued its deliveries, which come again on the next one.
      this.#ahead.clear();
    }
    return sent;
  }

  /**
   * Sends the batch's acknowledgements and resolves once the broker has processed them (a `basic.qos`
   * round trip on the same channel, re-sending its prefetch, which the broker answers after every frame
   * before it): for a shutdown, so that closing the connection does not requeue deliveries that were
   * handled. Never rejects: a channel that closed meanwhile has nothing left to acknowledge.
   */
  async settle(): Promise<void> {
    if (!this.flush()) return;
    try {
      await this.channel.prefetch(this.prefetch);
    } catch {
      // The channel closed before the broker answered: its deliveries were requeued, as after any close.
    }
  }
}
