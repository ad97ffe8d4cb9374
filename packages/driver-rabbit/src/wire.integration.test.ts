// Compares what this driver puts on RabbitMQ with messages captured from Python oslo.messaging 14
// (test-fixtures/oslo-wire/rabbit-messages.json): exchange, routing key, AMQP properties and the
// body's envelope, keys (in order) and value types. Spy queues bound next to ours see every message.
import { readFileSync } from 'node:fs';
import * as amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getNotificationTransport,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  Notifier,
  silentLogger,
  type Transport,
  PythonErrors,
} from '@oslo-messaging/core';

const RABBIT_URL = process.env['OSLO_TEST_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672/';
interface Capture {
  scenario: string;
  exchange: string;
  routing_key: string;
  properties: Record<string, unknown>;
  body_raw: string;
}
const captures: Capture[] = JSON.parse(
  readFileSync(new URL('../../../test-fixtures/oslo-wire/rabbit-messages.json', import.meta.url), 'utf8'),
);
const capture = (scenario: string) => captures.find((c) => c.scenario === scenario)!;

/** The body decoded to (envelope?, inner dict). */
function decode(raw: string): { enveloped: boolean; version?: unknown; inner: Record<string, unknown> } {
  const outer = JSON.parse(raw) as Record<string, unknown>;
  if ('oslo.message' in outer)
    return { enveloped: true, version: outer['oslo.version'], inner: JSON.parse(outer['oslo.message'] as string) };
  return { enveloped: false, inner: outer };
}
const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
/** Keys in order with the type of each value: ids and payloads differ, the shape must not. */
const shape = (d: Record<string, unknown>) => Object.entries(d).map(([k, v]) => `${k}:${typeOf(v)}`);
const props = (p: amqp.MessageProperties) =>
  Object.fromEntries(
    Object.entries({
      content_type: p.contentType,
      content_encoding: p.contentEncoding,
      delivery_mode: p.deliveryMode,
      priority: p.priority,
      headers: p.headers,
      expiration: p.expiration,
    }).filter(([, v]) => v !== undefined),
  );

let conn: amqp.ChannelModel;
let ch: amqp.Channel;
const open: Transport[] = [];

async function spy(
  exchange: string,
  type: 'topic' | 'fanout',
  routingKey: string,
): Promise<() => Promise<amqp.GetMessage>> {
  await ch.assertExchange(exchange, type, { durable: false, autoDelete: type === 'fanout' });
  const { queue } = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(queue, exchange, routingKey);
  return async () => {
    for (let i = 0; i < 200; i++) {
      const m = await ch.get(queue, { noAck: true });
      if (m) return m;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`nothing arrived on ${exchange}/${routingKey}`);
  };
}

beforeAll(async () => {
  conn = await amqp.connect(AMQP_URL);
  ch = await conn.createChannel();
});
afterAll(async () => {
  await Promise.all(open.splice(0).map((t) => t.cleanup()));
  await conn.close();
});

const ctxt = { user_id: 'u1', project_id: 'p1', request_id: 'req-123', is_admin: false };
const uniq = () => `wire_${Math.random().toString(36).slice(2, 10)}`;

describe('RabbitMQ wire format matches Python oslo.messaging 14', () => {
  it('call request: exchange, routing key, properties with expiration, envelope and key order', async () => {
    const t = await getRpcTransport({ url: RABBIT_URL, logger: silentLogger });
    open.push(t);
    const topic = uniq();
    const take = await spy('openstack', 'topic', topic);
    const server = getRpcServer(t, { topic, server: 'srv' }, [
      { echo: (_c: unknown, a: { payload: unknown }) => a.payload },
    ]);
    await server.start();
    await getRpcClient(t, { topic, version: '1.0' }, { timeout: 10 }).call(ctxt, 'echo', {
      payload: { a: 1, b: [1, 2, 'x'] },
    });
    const m = await take();
    const want = capture('rpc-call-request');
    expect(m.fields.exchange).toBe(want.exchange);
    expect(m.fields.routingKey).toBe(topic);
    expect(props(m.properties)).toEqual(want.properties);
    const got = decode(m.content.toString());
    const ref = decode(want.body_raw);
    expect(got.enveloped).toBe(true);
    expect(got.version).toBe('2.0');
    expect(shape(got.inner)).toEqual(shape(ref.inner));
    expect(got.inner['_msg_id']).toMatch(/^[0-9a-f]{32}$/);
    expect(got.inner['_reply_q']).toMatch(/^reply_[0-9a-f]{32}$/);
    expect(got.inner['_unique_id']).toMatch(/^[0-9a-f]{32}$/);
    // Each call's TTL is its own timeout, whatever the publishes before it had (the properties of a TTL are
    // reused while it stays the same), and a cast on the same connection has none.
    const client = getRpcClient(t, { topic, version: '1.0' });
    await client.prepare({ timeout: 20 }).call(ctxt, 'echo', { payload: 1 });
    await client.prepare({ timeout: 10 }).call(ctxt, 'echo', { payload: 2 });
    await client.prepare({ timeout: 10 }).call(ctxt, 'echo', { payload: 3 });
    await client.cast(ctxt, 'echo', { payload: 4 });
    const ttls = [];
    for (let i = 0; i < 4; i++) ttls.push((await take()).properties.expiration);
    expect(ttls).toEqual(['20000', '10000', '10000', undefined]);
    await server.stop();
    await server.wait();
  });

  it('casts to the topic, to a server and fanout', async () => {
    const t = await getRpcTransport({ url: RABBIT_URL, logger: silentLogger });
    open.push(t);
    const topic = uniq();
    const server = getRpcServer(t, { topic, server: 'py-server' }, [{ count: () => undefined }]);
    await server.start();
    const client = getRpcClient(t, { topic, version: '1.0' });
    for (const [scenario, prepared, exchange, type, rk] of [
      ['rpc-cast-topic', client, 'openstack', 'topic', topic],
      ['rpc-cast-server', client.prepare({ server: 'py-server' }), 'openstack', 'topic', `${topic}.py-server`],
      ['rpc-cast-fanout', client.prepare({ fanout: true }), `${topic}_fanout`, 'fanout', ''],
    ] as const) {
      const take = await spy(exchange, type, rk);
      await prepared.cast(ctxt, 'count', { payload: 'x' });
      const m = await take();
      const want = capture(scenario);
      expect(m.fields.exchange, scenario).toBe(scenario === 'rpc-cast-fanout' ? `${topic}_fanout` : want.exchange);
      expect(m.fields.routingKey, scenario).toBe(scenario === 'rpc-cast-fanout' ? '' : rk);
      expect(props(m.properties), scenario).toEqual(want.properties);
      expect(shape(decode(m.content.toString()).inner), scenario).toEqual(shape(decode(want.body_raw).inner));
    }
    await server.stop();
    await server.wait();
  });

  it('replies and failure replies to a hand-made request, as Python would send it', async () => {
    const t = await getRpcTransport({ url: RABBIT_URL, logger: silentLogger });
    open.push(t);
    const topic = uniq();
    const server = getRpcServer(t, { topic, server: 's' }, [
      {
        echo: (_c: unknown, a: { payload: unknown }) => a.payload,
        fail: () => {
          throw new PythonErrors.ValueError('bad value from python');
        },
      },
    ]);
    await server.start();
    const { queue: replyQ } = await ch.assertQueue(`reply_${uniq()}`, { exclusive: true });
    for (const [scenario, requestScenario] of [
      ['rpc-call-reply', 'rpc-call-request'],
      ['rpc-reply-failure-builtin', 'rpc-call-request-fail'],
    ] as const) {
      // Python's captured request, re-addressed to our server and our spy reply queue.
      const req = decode(capture(requestScenario).body_raw).inner;
      req['_reply_q'] = replyQ;
      ch.publish(
        'openstack',
        topic,
        Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(req) })),
        capture(requestScenario).properties,
      );
      let m: amqp.GetMessage | false = false;
      for (let i = 0; i < 200 && !m; i++) {
        m = await ch.get(replyQ, { noAck: true });
        if (!m) await new Promise((r) => setTimeout(r, 25));
      }
      expect(m, scenario).toBeTruthy();
      const msg = m as amqp.GetMessage;
      const want = capture(scenario);
      expect(msg.fields.exchange).toBe('');
      expect(props(msg.properties)).toEqual(want.properties);
      const got = decode(msg.content.toString()).inner;
      const ref = decode(want.body_raw).inner;
      expect(shape(got), scenario).toEqual(shape(ref));
      expect(got['_msg_id']).toBe(req['_msg_id']);
      expect(got['ending']).toBe(true);
      if (scenario === 'rpc-call-reply') expect(got['result']).toEqual(ref['result']);
      else {
        const f = JSON.parse(got['failure'] as string) as Record<string, unknown>;
        const rf = JSON.parse(ref['failure'] as string) as Record<string, unknown>;
        expect(Object.keys(f)).toEqual(Object.keys(rf));
        expect([f['class'], f['module'], f['message'], f['args'], f['kwargs']]).toEqual([
          rf['class'],
          rf['module'],
          rf['message'],
          rf['args'],
          rf['kwargs'],
        ]);
      }
    }
    await server.stop();
    await server.wait();
  });

  it('notifications v2 and v1: routing key, properties, envelope and keys', async () => {
    const t = await getNotificationTransport({ url: RABBIT_URL, logger: silentLogger });
    open.push(t);
    const topic = uniq();
    for (const [scenario, driver, priority] of [
      ['notify-v2-info', 'messagingv2', 'info'],
      ['notify-v2-error', 'messagingv2', 'error'],
      ['notify-v1-warn', 'messaging', 'warn'],
    ] as const) {
      const take = await spy('openstack', 'topic', `${topic}.${priority}`);
      const notifier = new Notifier(t, { publisherId: 'compute.host1', driver, topics: [topic] });
      await notifier[priority](ctxt, 'compute.instance.exists', { instance_id: 'abc' });
      const m = await take();
      const want = capture(scenario);
      expect(m.fields.routingKey).toBe(`${topic}.${priority}`);
      expect(props(m.properties), scenario).toEqual(want.properties);
      const got = decode(m.content.toString());
      const ref = decode(want.body_raw);
      expect(got.enveloped, scenario).toBe(ref.enveloped);
      expect(shape(got.inner), scenario).toEqual(shape(ref.inner));
      expect(got.inner['priority']).toBe(ref.inner['priority']);
      expect(got.inner['timestamp']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
      expect(got.inner['message_id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      // The publisher declared the queue named like the routing key, as oslo does.
      expect((await ch.checkQueue(`${topic}.${priority}`)).queue).toBe(`${topic}.${priority}`);
      await ch.deleteQueue(`${topic}.${priority}`);
    }
  });
});
