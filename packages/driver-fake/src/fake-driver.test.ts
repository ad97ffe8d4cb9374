import { afterEach, describe, expect, it } from 'vitest';
import {
  getNotificationListener,
  getNotificationTransport,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  MessageUndeliverable,
  MessagingTimeout,
  Target,
  NotificationResult,
  silentLogger,
  type Transport,
} from '@oslo-messaging/core';
import { serializeEnvelope } from '@oslo-messaging/core/spi';

const open: Transport[] = [];
const vhost = () => `t-${Math.random().toString(36).slice(2)}`;
async function rpc(url: string) {
  const t = await getRpcTransport({ url, logger: silentLogger });
  open.push(t);
  return t;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.cleanup()));
});

const echo = { echo: (_c: unknown, a: { v: unknown }) => a.v };

describe('fake driver', () => {
  it("isolates virtual hosts: a server on one vhost never sees another vhost's calls", async () => {
    const a = await rpc(`fake:///${vhost()}`);
    const b = await rpc(`fake:///${vhost()}`);
    const server = getRpcServer(a, { topic: 't', server: 's' }, [echo]);
    await server.start();
    await expect(getRpcClient(b, { topic: 't' }, { timeout: 0.3 }).call({}, 'echo', { v: 1 })).rejects.toBeInstanceOf(
      MessagingTimeout,
    );
    expect(await getRpcClient(a, { topic: 't' }).call({}, 'echo', { v: 2 })).toBe(2);
    await server.stop();
    await server.wait();
  });

  it('keeps a call queued until a server starts, but not past its timeout', async () => {
    const url = `fake:///${vhost()}`;
    const t = await rpc(url);
    const server = getRpcServer(t, { topic: 'late', server: 's' }, [echo]);
    await server.start(); // declares the queue, as a RabbitMQ server would
    await server.stop();
    await server.wait();
    const client = getRpcClient(t, { topic: 'late' });
    const expired = client.prepare({ timeout: 0.1 }).call({}, 'echo', { v: 'old' });
    await expect(expired).rejects.toBeInstanceOf(MessagingTimeout);
    const pending = client.prepare({ timeout: 5 }).call({}, 'echo', { v: 'new' });
    await new Promise((r) => setTimeout(r, 50));
    await server.start();
    expect(await pending).toBe('new');
    await server.stop();
    await server.wait();
  });

  it('raises MessageUndeliverable for atLeastOnce sends nobody can receive', async () => {
    const t = await rpc(`fake:///${vhost()}`);
    await expect(getRpcClient(t, { topic: 'nobody' }, { atLeastOnce: true }).cast({}, 'x')).rejects.toBeInstanceOf(
      MessageUndeliverable,
    );
    await expect(
      getRpcClient(t, { topic: 'nobody' }, { atLeastOnce: true, timeout: 2 }).call({}, 'x'),
    ).rejects.toBeInstanceOf(MessageUndeliverable);
  });

  it('drops malformed messages without stopping the server', async () => {
    const v = vhost();
    const t = await rpc(`fake:///${v}`);
    const server = getRpcServer(t, { topic: 'm', server: 's' }, [echo]);
    await server.start();
    // The broker of the driver the registry loaded (the built package): this file's own import of
    // ./broker.js is another module instance, whose brokers no transport uses.
    const { brokerFor } = await import('@oslo-messaging/driver-fake');
    const broker = brokerFor(v);
    const before = broker.queue('m')!.depth;
    broker.publish('openstack', 'm', 'not json at all');
    broker.publish('openstack', 'm', JSON.stringify({ 'oslo.version': '9.0', 'oslo.message': '{}' }));
    expect(before).toBe(0);
    expect(await getRpcClient(t, { topic: 'm' }).call({}, 'echo', { v: 'still alive' })).toBe('still alive');
    expect(broker.queue('m')!.depth).toBe(0);
    await server.stop();
    await server.wait();
  });

  it('gives a notification requeued during stop to the next listener', async () => {
    const url = `fake:///${vhost()}`;
    const t = await getNotificationTransport({ url, logger: silentLogger });
    open.push(t);
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = getNotificationListener(
      t,
      [{ topic: 'n' }],
      [
        {
          info: async (_c: unknown, _p: string, e: string) => {
            seen.push(`first:${e}`);
            await gate;
            return NotificationResult.REQUEUE;
          },
        },
      ],
      { allowRequeue: true },
    );
    await first.start();
    await t.driver.sendNotification(
      new Target({ topic: 'n.info' }),
      {},
      {
        message_id: 'm1',
        publisher_id: 'p',
        event_type: 'evt',
        priority: 'INFO',
        payload: {},
        timestamp: '2026-01-01 00:00:00',
      },
      { version: 2 },
    );
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    await first.stop();
    release();
    await first.wait();
    const second = getNotificationListener(
      t,
      [{ topic: 'n' }],
      [{ info: (_c: unknown, _p: string, e: string) => void seen.push(`second:${e}`) }],
    );
    await second.start();
    while (seen.length < 2) await new Promise((r) => setTimeout(r, 5));
    expect(seen).toEqual(['first:evt', 'second:evt']);
    await second.stop();
    await second.wait();
  });

  it("puts oslo's envelope on the in-memory wire, byte for byte what core's serializeEnvelope writes", async () => {
    const v = vhost();
    const t = await rpc(`fake:///${v}`);
    // The broker of the driver the registry loaded (the built package), not of this source file.
    const { brokerFor } = await import('@oslo-messaging/driver-fake');
    const broker = brokerFor(v);
    broker.declareExchange('openstack', 'topic');
    const q = broker.declareQueue('wire');
    broker.bind(q, 'openstack', 'wire');
    const bodies: string[] = [];
    q.consume((d) => {
      bodies.push(d.body);
      d.ack();
    });
    await getRpcClient(t, { topic: 'wire', namespace: 'ns', version: '1.2' }).cast({ user_id: 'u', n: 1.5 }, 'go', {
      a: 'x"\\\u2028',
      b: [1, null],
    });
    while (bodies.length === 0) await new Promise((r) => setTimeout(r, 1));
    const inner = JSON.parse(bodies[0]!)['oslo.message'] as string;
    const msg = JSON.parse(inner) as Record<string, unknown>;
    expect(Object.keys(msg)).toEqual([
      'method',
      'args',
      'namespace',
      'version',
      '_unique_id',
      '_context_user_id',
      '_context_n',
    ]);
    expect(msg['_unique_id']).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    expect(bodies[0]).toBe(serializeEnvelope(msg));
  });
});
