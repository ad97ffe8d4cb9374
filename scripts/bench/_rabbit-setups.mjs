// The three Node sides of the RabbitMQ scenario (scripts/bench/rabbit.mjs), shared with the child that
// measures one side alone in its own process (_rabbit-child.mjs). Each side has a server (echo calls,
// count casts) and a client in one process, on two connections to the same broker:
//   ours  driver-rabbit through core: oslo's topology and wire format (topic exchange, persistent
//         messages, publisher confirms, acks, mandatory replies through the default exchange to a
//         reply queue), and a notifier and listener for the notification row;
//   raw   raw amqplib doing the same broker work by hand (topic exchange, persistent, confirms on
//         requests and replies, acks, mandatory replies, a declared reply queue), a JSON body;
//   bare  the ceiling of amqplib request/reply on this broker: the default exchange, RabbitMQ's direct
//         reply-to (amq.rabbitmq.reply-to), no publisher confirms, no mandatory flag, transient
//         messages, no acks (noAck consumers).
// For raw and bare the notification row is their cast (a notification is the same broker work).
import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import { getNotificationListener, getNotificationTransport, Notifier, silentLogger } from '@oslo-messaging/core';
import { drive, endToEndStats, osloRpcBench, PAYLOAD } from './_measure.mjs';

export const RABBIT_URL = process.env.OSLO_BENCH_RABBIT_URL ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const AMQP = RABBIT_URL.replace(/^rabbit:/, 'amqp:');

/** Our driver through core. */
export async function oursSetup() {
  const rpc = await osloRpcBench(RABBIT_URL);
  const nt = await getNotificationTransport({ url: RABBIT_URL, logger: silentLogger });
  let notes = 0;
  const ntopic = `benchn_${randomUUID().slice(0, 8)}`;
  const listener = getNotificationListener(nt, [{ topic: ntopic }], [{ info: () => void notes++ }]);
  await listener.start();
  const notifier = new Notifier(nt, { publisherId: 'bench', topics: [ntopic] });
  return {
    ...rpc,
    notify: () => notifier.info({}, 'bench.event', PAYLOAD),
    notes: () => notes,
    close: async () => {
      await rpc.close();
      await listener.stop();
      await listener.wait();
      await nt.cleanup();
    },
  };
}

/** Raw amqplib doing the same broker work as oslo's topology, by hand. */
export async function rawSetup() {
  const serverConn = await amqp.connect(AMQP, { noDelay: true });
  const clientConn = await amqp.connect(AMQP, { noDelay: true });
  const sch = await serverConn.createConfirmChannel();
  const cch = await clientConn.createConfirmChannel();
  const rch = await clientConn.createChannel();
  // Requests go through a topic exchange to a bound queue, as oslo's.
  const q = `rawbench_${randomUUID().slice(0, 8)}`;
  const x = `${q}_x`;
  await sch.assertExchange(x, 'topic', { durable: false, autoDelete: true });
  await sch.assertQueue(q, { autoDelete: true });
  await sch.bindQueue(q, x, q);
  let casts = 0;
  await sch.consume(q, (m) => {
    sch.ack(m);
    const body = JSON.parse(m.content.toString());
    if (m.properties.replyTo) sch.publish('', m.properties.replyTo, Buffer.from(JSON.stringify({ result: body.payload })), { correlationId: m.properties.correlationId, mandatory: true }, () => {});
    else casts++;
  });
  const { queue: replyQ } = await rch.assertQueue('', { exclusive: true });
  const waiters = new Map();
  await rch.consume(replyQ, (m) => {
    rch.ack(m);
    waiters.get(m.properties.correlationId)?.(JSON.parse(m.content.toString()));
    waiters.delete(m.properties.correlationId);
  });
  const publish = (body, props) => new Promise((res, rej) => cch.publish(x, q, Buffer.from(JSON.stringify(body)), { contentType: 'application/json', deliveryMode: 2, ...props }, (err) => (err ? rej(err) : res())));
  const cast = () => publish({ payload: PAYLOAD }, {});
  return {
    call: async () => {
      const id = randomUUID();
      const reply = new Promise((r) => waiters.set(id, r));
      await publish({ payload: PAYLOAD }, { replyTo: replyQ, correlationId: id, expiration: '30000' });
      return reply;
    },
    cast,
    casts: () => casts,
    notify: cast,
    notes: () => casts,
    close: async () => {
      await serverConn.close();
      await clientConn.close();
    },
  };
}

/** The ceiling: the least broker work a request/reply over amqplib can do. */
export async function bareSetup() {
  const serverConn = await amqp.connect(AMQP, { noDelay: true });
  const clientConn = await amqp.connect(AMQP, { noDelay: true });
  const sch = await serverConn.createChannel();
  const cch = await clientConn.createChannel();
  const q = `barebench_${randomUUID().slice(0, 8)}`;
  await sch.assertQueue(q, { durable: false, autoDelete: true });
  let casts = 0;
  await sch.consume(q, (m) => {
    const body = JSON.parse(m.content.toString());
    if (m.properties.replyTo) sch.publish('', m.properties.replyTo, Buffer.from(JSON.stringify({ result: body.payload })), { correlationId: m.properties.correlationId });
    else casts++;
  }, { noAck: true });
  const waiters = new Map();
  // Direct reply-to: consumed with noAck on the channel the requests are published on.
  await cch.consume('amq.rabbitmq.reply-to', (m) => {
    waiters.get(m.properties.correlationId)?.(JSON.parse(m.content.toString()));
    waiters.delete(m.properties.correlationId);
  }, { noAck: true });
  const cast = async () => {
    cch.publish('', q, Buffer.from(JSON.stringify({ payload: PAYLOAD })), { contentType: 'application/json' });
  };
  return {
    call: () => {
      const id = randomUUID();
      const reply = new Promise((r) => waiters.set(id, r));
      cch.publish('', q, Buffer.from(JSON.stringify({ payload: PAYLOAD })), { contentType: 'application/json', replyTo: 'amq.rabbitmq.reply-to', correlationId: id });
      return reply;
    },
    cast,
    casts: () => casts,
    notify: cast,
    notes: () => casts,
    close: async () => {
      await serverConn.close();
      await clientConn.close();
    },
  };
}

export const SIDES = { ours: oursSetup, raw: rawSetup, bare: bareSetup };

/** The rows every side measures: key, label, unit, and how one round of it is measured on side `s`. */
export const ROWS = [
  { key: 'seq', row: 'sequential call', unit: 'calls/s', measure: (s) => drive(s.call, 1) },
  { key: 'c10', row: 'calls, 10 concurrent callers', unit: 'calls/s', measure: (s) => drive(s.call, 10) },
  { key: 'c100', row: 'calls, 100 concurrent callers', unit: 'calls/s', measure: (s) => drive(s.call, 100) },
  { key: 'cast1', row: 'casts, one at a time (end-to-end)', unit: 'msgs/s', measure: (s) => endToEndStats(s.cast, s.casts, 1) },
  { key: 'cast100', row: 'casts, 100 in flight (end-to-end)', unit: 'msgs/s', measure: (s) => endToEndStats(s.cast, s.casts, 100) },
  { key: 'notify', row: 'notifications, 100 in flight (end-to-end)', unit: 'msgs/s', measure: (s) => endToEndStats(s.notify, s.notes, 100) },
];
