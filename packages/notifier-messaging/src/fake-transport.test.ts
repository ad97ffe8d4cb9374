import { afterEach, describe, expect, it } from 'vitest';
import {
  Notifier,
  PluginRegistry,
  getNotificationListener,
  getNotificationTransport,
  silentLogger,
  type NotificationServer,
  type Transport,
} from '@oslo-messaging/core';
import { ENTRY_POINT_GROUPS } from '@oslo-messaging/core/spi';
import { brokerFor } from '@oslo-messaging/driver-fake';
import { messagingV1Driver, messagingV2Driver } from './index.js';

// Through the real in-memory transport (`fake://`, RabbitMQ semantics and oslo's wire encoding):
// what the messaging drivers publish is what a notification listener receives.

const open: Transport[] = [];
const servers: NotificationServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    await s.stop();
    await s.wait();
  }
  await Promise.all(open.splice(0).map((t) => t.cleanup()));
});

const unique = () => Math.random().toString(36).slice(2, 10);

async function transportOn(vhost: string): Promise<Transport> {
  const t = await getNotificationTransport({ url: `fake:///${vhost}`, logger: silentLogger });
  open.push(t);
  return t;
}

function notifierFor(transport: Transport, driver: 'messagingv2' | 'messaging', topics: readonly string[]): Notifier {
  const registry = new PluginRegistry();
  registry.register(ENTRY_POINT_GROUPS.notifyDrivers, 'messagingv2', messagingV2Driver);
  registry.register(ENTRY_POINT_GROUPS.notifyDrivers, 'messaging', messagingV1Driver);
  return new Notifier(transport, {
    driver,
    topics,
    plugins: registry,
    publisherId: 'compute.host1',
    logger: silentLogger,
  });
}

async function until(done: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !done(); waited += 5) {
    if (waited > 5000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Takes the raw bodies waiting in a queue of the fake broker. */
async function drainRaw(vhost: string, queue: string, count: number): Promise<string[]> {
  const q = brokerFor(vhost).queue(queue);
  if (!q) throw new Error(`queue ${queue} was not declared`);
  const bodies: string[] = [];
  const cancel = q.consume((d) => {
    bodies.push(d.body);
    d.ack();
  });
  await until(() => bodies.length >= count, `${count} message(s) in ${queue}`);
  cancel();
  return bodies;
}

describe('messaging notifier drivers over fake://', () => {
  for (const [driver, version] of [
    ['messagingv2', 2],
    ['messaging', 1],
  ] as const) {
    it(`${driver}: a listener on every topic receives each notification once per topic, by priority`, async () => {
      const vhost = `notif-${unique()}`;
      const transport = await transportOn(vhost);
      const topicA = `a_${unique()}`;
      const topicB = `b_${unique()}`;
      const received: Array<[string, string, string, string, unknown]> = [];
      const endpoint =
        (priority: string) => (ctxt: unknown, publisherId: string, eventType: string, payload: unknown) => {
          received.push([
            priority,
            publisherId,
            eventType,
            String((ctxt as Record<string, unknown>)['user_id']),
            payload,
          ]);
        };
      const server = getNotificationListener(
        transport,
        [{ topic: topicA }, { topic: topicB }],
        [{ info: endpoint('info'), error: endpoint('error') }],
      );
      servers.push(server);
      await server.start();

      const notifier = notifierFor(transport, driver, [topicA, topicB]);
      await notifier.info({ user_id: 'u1', auth_token: 'never-sent' }, 'compute.instance.create.end', {
        id: 1,
        version,
      });
      await notifier.error({ user_id: 'u2' }, 'compute.instance.create.error', { id: 2 });

      await until(() => received.length >= 4, 'four notifications');
      expect(received.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual([
        ['error', 'compute.host1', 'compute.instance.create.error', 'u2', { id: 2 }],
        ['error', 'compute.host1', 'compute.instance.create.error', 'u2', { id: 2 }],
        ['info', 'compute.host1', 'compute.instance.create.end', 'u1', { id: 1, version }],
        ['info', 'compute.host1', 'compute.instance.create.end', 'u1', { id: 1, version }],
      ]);
    });
  }

  it('messagingv2 publishes the 2.0 envelope and messaging the bare 1.0 dict, to queue <topic>.<priority>', async () => {
    const vhost = `notif-${unique()}`;
    const transport = await transportOn(vhost);
    const v2topic = `v2_${unique()}`;
    const v1topic = `v1_${unique()}`;
    await notifierFor(transport, 'messagingv2', [v2topic]).warn({ user_id: 'u', auth_token: 'tok' }, 'image.update', {
      size: 3,
    });
    await notifierFor(transport, 'messaging', [v1topic]).warn({ user_id: 'u', auth_token: 'tok' }, 'image.update', {
      size: 3,
    });

    const [v2raw] = await drainRaw(vhost, `${v2topic}.warn`, 1);
    const [v1raw] = await drainRaw(vhost, `${v1topic}.warn`, 1);
    const envelope = JSON.parse(v2raw!) as Record<string, unknown>;
    expect(Object.keys(envelope).sort()).toEqual(['oslo.message', 'oslo.version']);
    expect(envelope['oslo.version']).toBe('2.0');
    const inner = JSON.parse(envelope['oslo.message'] as string) as Record<string, unknown>;
    const bare = JSON.parse(v1raw!) as Record<string, unknown>;
    expect(bare['oslo.version']).toBeUndefined();
    for (const body of [inner, bare]) {
      expect(body).toMatchObject({
        publisher_id: 'compute.host1',
        event_type: 'image.update',
        priority: 'WARN',
        payload: { size: 3 },
        _context_user_id: 'u',
      });
      expect(body['_context_auth_token']).toBeUndefined();
      expect(typeof body['message_id']).toBe('string');
      expect(typeof body['_unique_id']).toBe('string');
    }
  });

  it('every priority method reaches the queue named after its lower-case priority', async () => {
    const vhost = `notif-${unique()}`;
    const transport = await transportOn(vhost);
    const topic = `p_${unique()}`;
    const notifier = notifierFor(transport, 'messagingv2', [topic]);
    const calls = [
      ['audit', notifier.audit],
      ['debug', notifier.debug],
      ['info', notifier.info],
      ['warn', notifier.warning],
      ['error', notifier.error],
      ['critical', notifier.critical],
      ['sample', notifier.sample],
    ] as const;
    for (const [, send] of calls) await send.call(notifier, {}, 'evt', {});
    for (const [priority] of calls) {
      const [raw] = await drainRaw(vhost, `${topic}.${priority}`, 1);
      const inner = JSON.parse(JSON.parse(raw!)['oslo.message'] as string) as Record<string, unknown>;
      expect(inner['priority']).toBe(priority.toUpperCase());
    }
  });
});
