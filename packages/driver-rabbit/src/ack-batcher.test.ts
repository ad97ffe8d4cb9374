import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as amqp from 'amqplib';
import { AckBatcher, AHEAD_LIMIT, listenerAckLimits } from './ack-batcher.js';

type Frame = { ack: number; multiple: boolean } | { reject: number; requeue: boolean };

/**
 * What the batcher uses of a channel, recording every frame it sends and, like RabbitMQ, the deliveries
 * still unsettled: a frame naming a delivery that is not (a second ack) fails as the broker's
 * PRECONDITION_FAILED "unknown delivery tag" would.
 */
class RecordingChannel {
  readonly frames: Frame[] = [];
  readonly unsettled = new Set<number>();
  closed = false;
  qos: number[] = [];

  deliver(tag: number): amqp.Message {
    this.unsettled.add(tag);
    return { fields: { deliveryTag: tag } } as amqp.Message;
  }

  #settle(tag: number): void {
    if (!this.unsettled.delete(tag)) throw new Error(`unknown delivery tag ${tag}`);
  }

  ack(msg: amqp.Message, allUpTo?: boolean): void {
    if (this.closed) throw new Error('Channel closed');
    const tag = msg.fields.deliveryTag;
    this.frames.push({ ack: tag, multiple: allUpTo === true });
    this.#settle(tag);
    if (allUpTo) for (const t of this.unsettled) if (t < tag) this.unsettled.delete(t);
  }

  reject(msg: amqp.Message, requeue?: boolean): void {
    if (this.closed) throw new Error('Channel closed');
    this.frames.push({ reject: msg.fields.deliveryTag, requeue: requeue === true });
    this.#settle(msg.fields.deliveryTag);
  }

  prefetch(count: number): Promise<void> {
    if (this.closed) throw new Error('Channel closed');
    this.qos.push(count);
    return Promise.resolve();
  }
}

function batcher(maxPending = 4, delayMs = 10, prefetch = 0) {
  const ch = new RecordingChannel();
  return { ch, acks: new AckBatcher(ch as unknown as amqp.Channel, { maxPending, delayMs }, prefetch) };
}

describe('AckBatcher, deliveries acknowledged in order (a reply queue)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('acknowledges a batch with one multiple ack of its last delivery, after the delay', () => {
    const { ch, acks } = batcher();
    acks.ack(ch.deliver(1));
    acks.ack(ch.deliver(2));
    expect(ch.frames).toEqual([]);
    expect(acks.pending).toBe(2);
    vi.advanceTimersByTime(9);
    expect(ch.frames).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ch.frames).toEqual([{ ack: 2, multiple: true }]);
    expect(acks.pending).toBe(0);
    expect(ch.unsettled.size).toBe(0);
  });

  it('acknowledges at once when the batch is full, and starts the next one', () => {
    const { ch, acks } = batcher(3);
    for (let tag = 1; tag <= 4; tag++) acks.ack(ch.deliver(tag));
    expect(ch.frames).toEqual([{ ack: 3, multiple: true }]);
    expect(acks.pending).toBe(1);
    vi.advanceTimersByTime(10);
    expect(ch.frames).toEqual([
      { ack: 3, multiple: true },
      { ack: 4, multiple: true },
    ]);
  });

  it('sends nothing when nothing waits', () => {
    const { ch, acks } = batcher();
    acks.flush();
    vi.advanceTimersByTime(100);
    expect(ch.frames).toEqual([]);
  });

  it('does not throw when its channel closed before the batch went out', () => {
    const { ch, acks } = batcher();
    acks.ack(ch.deliver(1));
    ch.closed = true;
    expect(() => vi.advanceTimersByTime(10)).not.toThrow();
    expect(acks.pending).toBe(0);
  });

  it('settle() sends the batch and waits for a round trip on the channel (its own prefetch again); with nothing waiting it does neither', async () => {
    const { ch, acks } = batcher(4, 10, 20);
    await acks.settle();
    expect(ch.qos).toEqual([]);
    acks.ack(ch.deliver(1));
    await acks.settle();
    expect(ch.frames).toEqual([{ ack: 1, multiple: true }]);
    expect(ch.qos).toEqual([20]);
    vi.advanceTimersByTime(100);
    expect(ch.frames).toHaveLength(1); // the timer was cleared with the batch
  });

  it('settle() resolves when the channel closed before the batch went out (a cleanup during an outage)', async () => {
    const { ch, acks } = batcher();
    acks.ack(ch.deliver(1));
    ch.closed = true;
    await expect(acks.settle()).resolves.toBeUndefined();
    expect(acks.pending).toBe(0);
  });
});

describe('AckBatcher, deliveries settled in any order (a notification listener)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('never covers an unsettled delivery with a multiple ack: what is above it goes alone', () => {
    const { ch, acks } = batcher(10);
    const m = [0, 1, 2, 3, 4].map((t) => (t ? ch.deliver(t) : undefined));
    acks.ack(m[1]!);
    acks.ack(m[3]!); // 2 is still being handled
    acks.ack(m[4]!);
    vi.advanceTimersByTime(10);
    expect(ch.frames).toEqual([
      { ack: 1, multiple: true },
      { ack: 3, multiple: false },
      { ack: 4, multiple: false },
    ]);
    expect([...ch.unsettled]).toEqual([2]);
    // 2 ends: the batch is 2 alone (3 and 4 were sent already and are not named again).
    acks.ack(m[2]!);
    vi.advanceTimersByTime(10);
    expect(ch.frames.at(-1)).toEqual({ ack: 2, multiple: true });
    expect(ch.unsettled.size).toBe(0);
  });

  it('joins deliveries acknowledged out of order into one multiple ack once the gap closes within the delay', () => {
    const { ch, acks } = batcher(10);
    const m = [0, 1, 2, 3].map((t) => (t ? ch.deliver(t) : undefined));
    acks.ack(m[3]!);
    acks.ack(m[2]!);
    acks.ack(m[1]!);
    vi.advanceTimersByTime(10);
    expect(ch.frames).toEqual([{ ack: 3, multiple: true }]);
    expect(ch.unsettled.size).toBe(0);
  });

  it('rejects at once, and later multiple acks pass over the rejected delivery', () => {
    const { ch, acks } = batcher(10);
    const m = [0, 1, 2, 3, 4].map((t) => (t ? ch.deliver(t) : undefined));
    acks.ack(m[1]!);
    acks.reject(m[3]!, true); // requeued while 2 is being handled
    acks.reject(m[2]!, false);
    acks.ack(m[4]!);
    expect(ch.frames).toEqual([
      { reject: 3, requeue: true },
      { reject: 2, requeue: false },
    ]);
    vi.advanceTimersByTime(10);
    expect(ch.frames.at(-1)).toEqual({ ack: 4, multiple: true });
    expect(ch.unsettled.size).toBe(0);
  });

  it('ignores a second settlement of a delivery (which the broker would answer by closing the channel)', () => {
    const { ch, acks } = batcher(10);
    const one = ch.deliver(1);
    const three = ch.deliver(3);
    ch.deliver(2);
    acks.ack(one);
    acks.ack(one);
    acks.ack(three);
    acks.ack(three);
    acks.reject(three, true);
    vi.advanceTimersByTime(10);
    acks.ack(three);
    acks.reject(one, false);
    vi.advanceTimersByTime(10);
    expect(ch.frames).toEqual([
      { ack: 1, multiple: true },
      { ack: 3, multiple: false },
    ]);
  });

  it(`settles every delivery alone once ${AHEAD_LIMIT} were settled above one that never is`, () => {
    const { ch, acks } = batcher(64);
    ch.deliver(1); // its handler never ends
    for (let tag = 2; tag <= AHEAD_LIMIT + 2; tag++) acks.ack(ch.deliver(tag));
    vi.advanceTimersByTime(10);
    expect(ch.unsettled).toEqual(new Set([1]));
    const before = ch.frames.length;
    acks.ack(ch.deliver(AHEAD_LIMIT + 3));
    expect(ch.frames.slice(before)).toEqual([{ ack: AHEAD_LIMIT + 3, multiple: false }]);
  });
});

describe('a notification listener batch', () => {
  it('holds less than the prefetch window, so that the broker never waits for the timer', () => {
    expect(listenerAckLimits(0)).toEqual({ maxPending: 64, delayMs: 10 });
    expect(listenerAckLimits(1000)).toEqual({ maxPending: 64, delayMs: 10 });
    expect(listenerAckLimits(10).maxPending).toBe(5);
    expect(listenerAckLimits(1).maxPending).toBe(1);
  });
});
