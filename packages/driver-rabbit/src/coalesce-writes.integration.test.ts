import { afterEach, describe, expect, it } from 'vitest';
import * as amqp from 'amqplib';
import { coalesceWrites } from './coalesce-writes.js';

const AMQP_URL = (process.env['OSLO_TEST_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/').replace(
  /^rabbit:/,
  'amqp:',
);

interface Socket {
  _write: (...a: unknown[]) => unknown;
  _writev: (...a: unknown[]) => unknown;
}

const open: amqp.ChannelModel[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

/** A connection whose socket counts the writes it hands to the kernel (`_write`: one chunk, `_writev`: several). */
async function counted(coalesce: boolean) {
  const model = await amqp.connect(AMQP_URL);
  open.push(model);
  if (coalesce) coalesceWrites(model);
  const sock = (model.connection as unknown as { stream: Socket }).stream;
  const counts = { write: 0, writev: 0 };
  const write = sock._write.bind(sock);
  const writev = sock._writev.bind(sock);
  sock._write = (...a) => (counts.write++, write(...a));
  sock._writev = (...a) => (counts.writev++, writev(...a));
  const ch = await model.createChannel();
  counts.write = counts.writev = 0;
  return { ch, counts };
}

/** Publishes `n` messages in one turn (to a queue nobody declared: dropped by the broker), then lets them go out. */
async function publishBurst(ch: amqp.Channel, n: number): Promise<void> {
  for (let i = 0; i < n; i++) ch.publish('', `nobody_${process.pid}`, Buffer.from(`m${i}`));
  await new Promise((r) => setTimeout(r, 50));
}

describe('coalesceWrites (real broker)', () => {
  it("sends a turn's frames in one writev, and a lone frame in one plain write", async () => {
    const plain = await counted(false);
    await publishBurst(plain.ch, 50);
    expect(plain.counts).toEqual({ write: 50, writev: 0 }); // amqplib alone: a write per message

    const coalesced = await counted(true);
    await publishBurst(coalesced.ch, 50);
    expect(coalesced.counts.writev).toBeGreaterThanOrEqual(1);
    expect(coalesced.counts.write + coalesced.counts.writev).toBeLessThanOrEqual(3);

    coalesced.counts.write = coalesced.counts.writev = 0;
    await publishBurst(coalesced.ch, 1);
    expect(coalesced.counts).toEqual({ write: 1, writev: 0 });
  });
});
