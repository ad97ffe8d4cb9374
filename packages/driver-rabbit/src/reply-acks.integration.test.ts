import * as amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { getRpcClient, getRpcServer, getRpcTransport, silentLogger, type Transport } from '@oslo-messaging/core';
import type { RabbitDriver } from './driver.js';
import { deleteQueues, queueCounts } from './__fixtures__/queue-counts.js';

// Replies are acknowledged in batches (ack-batcher.ts): these check, on the broker, that every reply is
// still acknowledged while the transport runs and when it is cleaned up.

const RABBIT_URL = process.env['OSLO_TEST_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const AMQP_URL = RABBIT_URL.replace(/^rabbit:/, 'amqp:');
const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;
const open: Transport[] = [];
const replyQueues: string[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.cleanup()));
  await deleteQueues(AMQP_URL, replyQueues.splice(0));
});

/** A transport with an echo server on a fresh topic, and a client of it. */
async function echo() {
  const t = await getRpcTransport({ url: RABBIT_URL, logger: silentLogger });
  open.push(t);
  const topic = uniq('acks');
  const server = getRpcServer(t, { topic, server: 's' }, [{ echo: (_c: unknown, { i }: { i: number }) => i }]);
  await server.start();
  const client = getRpcClient(t, { topic }, { timeout: 10 });
  const calls = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => client.call({}, 'echo', { i })));
  await calls(1);
  const replyQueue = (t.driver as RabbitDriver).replyQueueName!;
  replyQueues.push(replyQueue);
  return { t, calls, replyQueue };
}

describe('reply acknowledgements (real broker)', () => {
  it('acknowledges every reply within moments while the transport runs', async () => {
    const { calls, replyQueue } = await echo();
    expect(await calls(50)).toHaveLength(50);
    await new Promise((r) => setTimeout(r, 100));
    expect(queueCounts(replyQueue).unacked).toBe(0);
  }, 30_000);

  it('acknowledges the replies of the last batch on cleanup, so that none is requeued', async () => {
    const { t, calls, replyQueue } = await echo();
    // Fewer than a batch, cleaned up at once: without cleanup's acknowledgement they would all be requeued.
    expect(await calls(40)).toHaveLength(40);
    await t.cleanup();
    const conn = await amqp.connect(AMQP_URL);
    try {
      const ch = await conn.createChannel();
      expect((await ch.checkQueue(replyQueue)).messageCount).toBe(0);
    } finally {
      await conn.close();
    }
  }, 30_000);
});
