// The three Node sides of the RabbitMQ scenario (scripts/bench/rabbit.mjs), shared with the child that
// measures one side alone in its own process (_rabbit-child.mjs). Each side has a server (echo calls,
// count casts) and a client in one process, on connections of its own to the same broker:
//   ours  driver-rabbit through core: oslo's topology and wire format (topic exchange, persistent
//         messages, publisher confirms, acks, mandatory replies through the default exchange to a
//         reply queue), and a notifier and listener for the notification row;
//   raw   raw amqplib doing the same broker work by hand (topic exchange, persistent messages on
//         non-durable queues, confirms on requests and replies, acks, mandatory replies, a declared
//         reply queue, a TTL on requests, publishes on a connection apart from the consumers'), and
//         oslo's wire format: the request and reply dicts with oslo's keys, each in oslo's 2.0 envelope
//         (JSON in a JSON string), written and read by hand;
//   bare  the ceiling of amqplib request/reply on this broker: the default exchange, RabbitMQ's direct
//         reply-to (amq.rabbitmq.reply-to), no publisher confirms, no mandatory flag, transient
//         messages, no acks (noAck consumers), a plain JSON body, two connections (the server
//         publishes its replies on the channel it consumes on).
// The notification row: raw publishes oslo's notification dict (message_id, publisher_id, event_type,
// priority, payload, timestamp, _unique_id) in the 2.0 envelope, as the messagingv2 driver does, through
// the same broker work as its casts; bare sends its cast (a plain JSON body).
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

/** What of oslo's broker work an amqplib side does (every flag on: raw; every flag off: bare). */
export const RAW_FEATURES = Object.freeze({
  topic: true,
  persistent: true,
  confirms: true,
  acks: true,
  mandatory: true,
  replyQueue: true,
  ttl: true,
  envelope: true,
  sendConnection: true,
});
export const BARE_FEATURES = Object.freeze(Object.fromEntries(Object.keys(RAW_FEATURES).map((k) => [k, false])));

/**
 * amqplib request/reply by hand, doing the broker work `f` says: `topic` (requests through a topic
 * exchange, else the default exchange), `persistent` (delivery mode 2, to a non-durable queue as oslo's
 * topic queues are by default), `confirms` (publisher confirms on requests and replies; a nack fails the
 * call, the reply is not held back for the confirm, as ours), `acks` (consumers ack, else noAck),
 * `mandatory` (replies), `replyQueue` (a declared reply queue, else direct reply-to), `ttl` (a call's
 * request expires, as oslo's 30 s), `envelope` (oslo's request and reply dicts, each in oslo's 2.0
 * envelope: the same JSON work as oslo's wire format; else a plain JSON body with the payload),
 * `sendConnection` (the connection layout of oslo's driver, as ours in this one process: requests and the
 * server's replies published on one send connection, the server's consumer and the reply consumer each
 * on a connection of its own; RabbitMQ advises publishing apart from consuming, so that flow control on a
 * publishing connection never holds up a consumer's deliveries and acks. Else two connections: the
 * server publishes its replies on the channel it consumes on, the client consumes replies beside its
 * requests).
 */
export async function amqplibSetup(f) {
  const serverConn = await amqp.connect(AMQP, { noDelay: true });
  const clientConn = await amqp.connect(AMQP, { noDelay: true });
  const replyConn = f.sendConnection ? await amqp.connect(AMQP, { noDelay: true }) : clientConn;
  const channel = (c) => (f.confirms ? c.createConfirmChannel() : c.createChannel());
  const sch = await channel(serverConn);
  const cch = await channel(clientConn);
  // Where the server publishes its replies: the send connection (ours: the transport's send pool).
  const replyCh = f.sendConnection ? cch : sch;
  const q = `amqpbench_${randomUUID().slice(0, 8)}`;
  const x = f.topic ? `${q}_x` : '';
  await sch.assertQueue(q, { durable: false, autoDelete: true });
  if (f.topic) {
    await sch.assertExchange(x, 'topic', { durable: false, autoDelete: true });
    await sch.bindQueue(q, x, q);
  }
  const deliveryMode = f.persistent ? 2 : 1;
  // oslo's envelope: {"oslo.version": "2.0", "oslo.message": "<the dict as JSON>"}, both ways.
  const encode = (dict) =>
    Buffer.from(
      f.envelope
        ? JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(dict) })
        : JSON.stringify(dict),
    );
  const decode = (buf) => {
    const outer = JSON.parse(buf.toString());
    return f.envelope ? JSON.parse(outer['oslo.message']) : outer;
  };
  // oslo's message properties (kombu's, byte for byte: see the captures in ../shared/reference/oslo-wire):
  // with oslo's wire format a call's reply queue and message id travel in the request's body, not in
  // AMQP properties; the bare side uses reply-to and correlation-id (direct reply-to needs them).
  // Built once where they do not vary (amqplib reads them, never changes them), as the driver does.
  const props = (extra) =>
    f.envelope
      ? { contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode, priority: 0, headers: {}, ...extra }
      : { contentType: 'application/json', deliveryMode, ...extra };
  const castProps = props({});
  const callProps = f.envelope && f.ttl ? props({ expiration: '30000' }) : undefined;
  const oneReplyProps = f.envelope ? props(f.mandatory ? { mandatory: true } : {}) : undefined;
  const noop = () => {};
  let casts = 0;
  let notes = 0;
  await sch.consume(
    q,
    (m) => {
      if (f.acks) sch.ack(m);
      const body = decode(m.content);
      const replyQueue = f.envelope ? body._reply_q : m.properties.replyTo;
      if (replyQueue) {
        const replyProps =
          oneReplyProps ??
          props({ correlationId: m.properties.correlationId, ...(f.mandatory ? { mandatory: true } : {}) });
        const reply = f.envelope
          ? {
              result: body.args.payload,
              failure: null,
              ending: true,
              _msg_id: body._msg_id,
              _unique_id: randomUUID().replaceAll('-', ''),
            }
          : { result: body.payload };
        replyCh.publish('', replyQueue, encode(reply), replyProps, ...(f.confirms ? [noop] : []));
      } else if (body.event_type !== undefined) notes++;
      else casts++;
    },
    { noAck: !f.acks },
  );
  const waiters = new Map();
  const onReply = (rch) => (m) => {
    if (f.acks) rch.ack(m);
    const reply = decode(m.content);
    const id = f.envelope ? reply._msg_id : m.properties.correlationId;
    const w = waiters.get(id);
    waiters.delete(id);
    w?.resolve(reply.result);
  };
  let replyTo = 'amq.rabbitmq.reply-to';
  if (f.replyQueue) {
    const rch = await replyConn.createChannel();
    replyTo = (await rch.assertQueue('', { exclusive: true })).queue;
    await rch.consume(replyTo, onReply(rch), { noAck: !f.acks });
  } else {
    // Direct reply-to: consumed with noAck on the channel the requests are published on.
    await cch.consume(replyTo, onReply(cch), { noAck: true });
  }
  const requestBody = (id) =>
    encode(
      f.envelope
        ? {
            method: 'echo',
            args: { payload: PAYLOAD },
            ...(id ? { _msg_id: id, _reply_q: replyTo, _timeout: null } : {}),
            _unique_id: randomUUID().replaceAll('-', ''),
          }
        : { payload: PAYLOAD },
    );
  const publish = (id, properties, onConfirm) =>
    cch.publish(x, q, requestBody(id), properties, ...(f.confirms ? [onConfirm] : []));
  const confirmed = (send) =>
    f.confirms ? new Promise((res, rej) => send((err) => (err ? rej(err) : res()))) : (send(), Promise.resolve());
  const cast = () => confirmed((onConfirm) => publish(undefined, castProps, onConfirm));
  // oslo's notification: its timestamp is Python's str(datetime.utcnow()), its message_id a dashed uuid4.
  const notification = () =>
    encode({
      message_id: randomUUID(),
      publisher_id: 'bench',
      event_type: 'bench.event',
      priority: 'INFO',
      payload: PAYLOAD,
      timestamp: new Date().toISOString().replace('T', ' ').replace('Z', '000'),
      _unique_id: randomUUID().replaceAll('-', ''),
    });
  const notify = f.envelope
    ? () => confirmed((onConfirm) => cch.publish(x, q, notification(), castProps, ...(f.confirms ? [onConfirm] : [])))
    : cast;
  return {
    call: () => {
      const id = randomUUID().replaceAll('-', '');
      return new Promise((resolve, reject) => {
        waiters.set(id, { resolve });
        const properties =
          callProps ?? props({ replyTo, correlationId: id, ...(f.ttl ? { expiration: '30000' } : {}) });
        publish(id, properties, (err) => {
          if (err && waiters.delete(id)) reject(err);
        });
      });
    },
    cast,
    casts: () => casts,
    notify,
    notes: () => (f.envelope ? notes : casts),
    close: async () => {
      await serverConn.close();
      await clientConn.close();
      if (replyConn !== clientConn) await replyConn.close();
    },
  };
}

/** Raw amqplib doing the same broker work as oslo's topology, by hand. */
export const rawSetup = () => amqplibSetup(RAW_FEATURES);

/** The ceiling: the least broker work a request/reply over amqplib can do. */
export const bareSetup = () => amqplibSetup(BARE_FEATURES);

export const SIDES = { ours: oursSetup, raw: rawSetup, bare: bareSetup };

/** The rows every side measures: key, label, unit, and how one round of it is measured on side `s`. */
export const ROWS = [
  { key: 'seq', row: 'sequential call', unit: 'calls/s', measure: (s) => drive(s.call, 1) },
  { key: 'c10', row: 'calls, 10 concurrent callers', unit: 'calls/s', measure: (s) => drive(s.call, 10) },
  { key: 'c100', row: 'calls, 100 concurrent callers', unit: 'calls/s', measure: (s) => drive(s.call, 100) },
  {
    key: 'cast1',
    row: 'casts, one at a time',
    unit: 'msgs/s end-to-end',
    measure: (s) => endToEndStats(s.cast, s.casts, 1),
  },
  {
    key: 'cast100',
    row: 'casts, 100 in flight',
    unit: 'msgs/s end-to-end',
    measure: (s) => endToEndStats(s.cast, s.casts, 100),
  },
  {
    key: 'notify',
    row: 'notifications, 100 in flight',
    unit: 'msgs/s end-to-end',
    measure: (s) => endToEndStats(s.notify, s.notes, 100),
  },
];
