import { afterEach, describe, expect, it } from 'vitest';
import {
  getNotificationListener,
  getNotificationTransport,
  NotificationResult,
  Notifier,
  silentLogger,
  type Transport,
} from '@oslo-messaging/core';
import { deleteQueues, queueCounts } from './__fixtures__/queue-counts.js';

// A notification listener acknowledges in batches (ack-batcher.ts), after handling, in whatever order its
// handlers end: these check on the broker that every notification is still settled (acknowledged, or
// requeued and handled again), none twice, and that cleanup sends the last batch.

const RABBIT_URL = process.env['OSLO_TEST_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const AMQP_URL = RABBIT_URL.replace(/^rabbit:/, 'amqp:');
const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const open: Transport[] = [];
const queues: string[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.cleanup()));
  await deleteQueues(AMQP_URL, queues.splice(0));
});

async function until(what: () => boolean, ms: number, why: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${why()}`);
    await sleep(10);
  }
}

/** A notifier and a listener on a fresh topic of their own transports, with `info` as the endpoint. */
async function setup(info: (payload: { i: number }) => unknown, query = '') {
  const topic = uniq('nacks');
  const nt = await getNotificationTransport({ url: RABBIT_URL + query, logger: silentLogger });
  const lt = await getNotificationTransport({ url: RABBIT_URL + query, logger: silentLogger });
  open.push(nt, lt);
  queues.push(`${topic}.info`);
  const listener = getNotificationListener(
    lt,
    [{ topic }],
    [
      {
        info: (_ctxt: unknown, _publisher: string, _event: string, payload: unknown) => info(payload as { i: number }),
      },
    ],
    { executor: 'pool', allowRequeue: true },
  );
  await listener.start();
  const notifier = new Notifier(nt, { publisherId: 'acks', topics: [topic] });
  return { lt, queue: `${topic}.info`, send: (i: number) => notifier.info({}, 'acks.event', { i }) };
}

describe('notification acknowledgements in batches (real broker)', () => {
  it('settles every notification, handlers ending out of order and some requeued, none handled twice', async () => {
    const handled = new Map<number, number>();
    const requeued = new Set<number>();
    const { queue, send } = await setup(async ({ i }) => {
      await sleep((i * 7) % 13); // handlers end in another order than their deliveries
      if (i % 5 === 0 && !requeued.has(i)) {
        requeued.add(i);
        return NotificationResult.REQUEUE;
      }
      handled.set(i, (handled.get(i) ?? 0) + 1);
      return NotificationResult.HANDLED;
    });
    const n = 300;
    await Promise.all(Array.from({ length: n }, (_, i) => send(i)));
    await until(
      () => handled.size === n,
      20_000,
      () => `${handled.size} of ${n} handled`,
    );
    expect(requeued.size).toBe(n / 5);
    await sleep(100);
    expect(queueCounts(queue)).toEqual({ ready: 0, unacked: 0 });
    expect([...handled.values()].every((times) => times === 1)).toBe(true);
  }, 40_000);

  it('keeps deliveries flowing with a prefetch smaller than a batch', async () => {
    let handled = 0;
    const { queue, send } = await setup(() => void handled++, '?rabbit_qos_prefetch_count=4');
    await Promise.all(Array.from({ length: 200 }, (_, i) => send(i)));
    await until(
      () => handled === 200,
      20_000,
      () => `${handled} of 200 handled`,
    );
    await sleep(100);
    expect(queueCounts(queue)).toEqual({ ready: 0, unacked: 0 });
  }, 40_000);

  it('sends the last batch on cleanup, so that nothing handled is delivered again', async () => {
    let handled = 0;
    let cleaning: Promise<void> | undefined;
    const transport: { lt?: Transport } = {};
    // Cleaned up right after the 30th is handled (fewer than a batch, within its delay): without cleanup's
    // acknowledgement the close would requeue what the batch holds.
    const { lt, queue, send } = await setup(() => {
      if (++handled === 30)
        setImmediate(() => {
          cleaning = transport.lt!.cleanup();
        });
    });
    transport.lt = lt;
    await Promise.all(Array.from({ length: 30 }, (_, i) => send(i)));
    await until(
      () => cleaning !== undefined,
      20_000,
      () => `${handled} of 30 handled`,
    );
    await cleaning;
    expect(queueCounts(queue)).toEqual({ ready: 0, unacked: 0 });
  }, 40_000);
});
