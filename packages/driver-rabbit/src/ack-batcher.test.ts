import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as amqp from 'amqplib';
import { AckBatcher } from './ack-batcher.js';

/** What the batcher uses of a channel, recording every `basic.ack` it sends. */
class RecordingChannel {
  readonly acks: Array<{ tag: number; multiple: boolean }> = [];
  closed = false;
  qos = 0;

  ack(msg: amqp.Message, allUpTo?: boolean): void {
    if (this.closed) throw new Error('Channel closed');
    this.acks.push({ tag: msg.fields.deliveryTag, multiple: allUpTo === true });
  }

  prefetch(): Promise<void> {
    if (this.closed) throw new Error('Channel closed');
    this.qos++;
    return Promise.resolve();
  }
}

const delivery = (tag: number) => ({ fields: { deliveryTag: tag } }) as amqp.Message;

function batcher(maxPending = 4, delayMs = 10) {
  const ch = new RecordingChannel();
  return { ch, acks: new AckBatcher(ch as unknown as amqp.Channel, { maxPending, delayMs }) };
}

describe('AckBatcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('acknowledges a batch with one multiple ack of its last delivery, after the delay', () => {
    const { ch, acks } = batcher();
    acks.ack(delivery(1));
    acks.ack(delivery(2));
    expect(ch.acks).toEqual([]);
    expect(acks.pending).toBe(2);
    vi.advanceTimersByTime(9);
    expect(ch.acks).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ch.acks).toEqual([{ tag: 2, multiple: true }]);
    expect(acks.pending).toBe(0);
  });

  it('acknowledges at once when the batch is full, and starts the next one', () => {
    const { ch, acks } = batcher(3);
    for (let tag = 1; tag <= 4; tag++) acks.ack(delivery(tag));
    expect(ch.acks).toEqual([{ tag: 3, multiple: true }]);
    expect(acks.pending).toBe(1);
    vi.advanceTimersByTime(10);
    expect(ch.acks).toEqual([
      { tag: 3, multiple: true },
      { tag: 4, multiple: true },
    ]);
  });

  it('sends nothing when nothing waits', () => {
    const { ch, acks } = batcher();
    acks.flush();
    vi.advanceTimersByTime(100);
    expect(ch.acks).toEqual([]);
  });

  it('does not throw when its channel closed before the batch went out', () => {
    const { ch, acks } = batcher();
    acks.ack(delivery(1));
    ch.closed = true;
    expect(() => vi.advanceTimersByTime(10)).not.toThrow();
    expect(acks.pending).toBe(0);
  });

  it('settle() sends the batch and waits for a round trip on the channel; with nothing waiting it does neither', async () => {
    const { ch, acks } = batcher();
    await acks.settle();
    expect(ch.qos).toBe(0);
    acks.ack(delivery(7));
    await acks.settle();
    expect(ch.acks).toEqual([{ tag: 7, multiple: true }]);
    expect(ch.qos).toBe(1);
    vi.advanceTimersByTime(100);
    expect(ch.acks).toHaveLength(1); // the timer was cleared with the batch
  });

  it('settle() resolves when the channel closed before the batch went out (a cleanup during an outage)', async () => {
    const { ch, acks } = batcher();
    acks.ack(delivery(3));
    ch.closed = true;
    await expect(acks.settle()).resolves.toBeUndefined();
    expect(acks.pending).toBe(0);
  });
});
