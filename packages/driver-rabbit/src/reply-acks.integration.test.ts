import { execFileSync } from 'node:child_process';
import * as amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { getRpcClient, getRpcServer, getRpcTransport, silentLogger, type Transport } from '@oslo-messaging/core';
import type { RabbitDriver } from './driver.js';

// Replies are acknowledged in batches (ack-batcher.ts): these check, on the broker, that every reply is
// still acknowledged while the transport runs and when it is cleaned up.

const RABBIT_URL = process.env['OSLO_TEST_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const AMQP_URL = RABBIT_URL.replace(/^rabbit:/, 'amqp:');
const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;
const open: Transport[] = [];
const replyQueues: string[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.cleanup()));
  const conn = await amqp.connect(AMQP_URL);
  const ch = await conn.createChannel();
  for (const q of replyQueues.splice(0)) await ch.deleteQueue(q);
  await conn.close();
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

/** The broker's count of `queue`'s deliveries not acknowledged yet. */
function unacknowledged(queue: string): number {
  const out = execFileSync(
    'rabbitmqctl',
    ['list_queues', '-q', '--no-table-headers', 'name', 'messages_unacknowledged'],
    {
      encoding: 'utf8',
    },
  );
  const line = out
    .trim()
    .split('\n')
    .find((l) => l.split('\t')[0] === queue);
  if (!line) throw new Error(`rabbitmqctl does not list ${queue}`);
  return Number(line.split('\t')[1]);
}

describe('reply acknowledgements (real broker)', () => {
  it('acknowledges every reply within moments while the transport runs', async () => {
    const { calls, replyQueue } = await echo();
    expect(await calls(50)).toHaveLength(50);
    await new Promise((r) => setTimeout(r, 100));
    expect(unacknowledged(replyQueue)).toBe(0);
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
