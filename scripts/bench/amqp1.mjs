// AMQP 1.0 through RabbitMQ's AMQP 1.0 plugin: driver-amqp1 against raw rhea doing the same
// request/reply by hand (JSON in, JSON out, correlation ids, a reply queue), measured in this run.
import { randomUUID } from 'node:crypto';
import rhea from 'rhea';
import { getRpcClient, getRpcServer, getRpcTransport, silentLogger } from '@oslo-messaging/core';
import { alternate, drive, endToEnd, latency } from './_measure.mjs';

export const name = 'amqp1';
export const description = 'AMQP 1.0 via RabbitMQ 127.0.0.1:5672 (rabbitmq addressing): driver-amqp1 vs raw rhea';

const URL_ = process.env.OSLO_BENCH_AMQP1_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';
const PAYLOAD = { a: 1, b: 'x'.repeat(100) };

async function oursSetup() {
  const t = await getRpcTransport({ url: URL_, logger: silentLogger });
  const topic = `bench_${randomUUID().slice(0, 8)}`;
  let casts = 0;
  const server = getRpcServer(t, { topic, server: 's' }, [{ echo: (_c, { payload }) => payload, count: () => void casts++ }]);
  await server.start();
  const client = getRpcClient(t, { topic }, { timeout: 30 });
  return {
    call: () => client.call({}, 'echo', { payload: PAYLOAD }),
    cast: () => client.cast({}, 'count', { payload: PAYLOAD }),
    casts: () => casts,
    close: async () => { await server.stop(); await server.wait(); await t.cleanup(); },
  };
}

/** Raw rhea: a server receiver on a queue answering to reply-to, a client with a reply queue and correlation ids. */
async function rawSetup() {
  const open = (role) => {
    const conn = rhea.create_container().connect({ host: '127.0.0.1', port: 5672, username: 'guest', password: 'guest', reconnect: false, tcp_no_delay: true });
    conn.on('error', () => undefined);
    return new Promise((resolve) => conn.once('connection_open', () => resolve(conn)));
  };
  const serverConn = await open('server');
  const clientConn = await open('client');
  const queue = `/queue/rawbench_${randomUUID().slice(0, 8)}`;
  const replyAddress = `/exchange/amq.direct/rawreply_${randomUUID().slice(0, 8)}`;
  let casts = 0;
  const replySenders = new Map();
  const replySender = (address) => {
    let s = replySenders.get(address);
    if (!s) replySenders.set(address, (s = serverConn.open_sender({ target: { address } })));
    return s;
  };
  const rx = serverConn.open_receiver({ source: { address: queue }, credit_window: 100, autoaccept: false });
  rx.on('message', (ctx) => {
    const req = JSON.parse(ctx.message.body);
    ctx.delivery.accept();
    if (ctx.message.reply_to) replySender(ctx.message.reply_to).send({ body: JSON.stringify({ response: req.request.args.payload }), correlation_id: ctx.message.message_id });
    else casts++;
  });
  const waiters = new Map();
  const replies = clientConn.open_receiver({ source: { address: replyAddress }, credit_window: 200 });
  replies.on('message', (ctx) => { const id = String(ctx.message.correlation_id); waiters.get(id)?.(JSON.parse(ctx.message.body).response); waiters.delete(id); });
  await Promise.all([new Promise((r) => rx.once('receiver_open', r)), new Promise((r) => replies.once('receiver_open', r))]);
  const sender = clientConn.open_sender({ target: { address: queue } });
  const castSender = clientConn.open_sender({ target: { address: queue }, snd_settle_mode: 1 });
  await Promise.all([new Promise((r) => sender.once('sendable', r)), new Promise((r) => castSender.once('sendable', r))]);
  // Respect link credit, checked right before each send as any real client must (rhea's session buffer overflows otherwise).
  sender.setMaxListeners(0);
  castSender.setMaxListeners(0);
  const creditFor = (s) => new Promise((r) => s.once('sendable', r));
  const body = () => JSON.stringify({ request: { method: 'echo', args: { payload: PAYLOAD } }, context: {} });
  return {
    call: async () => {
      const id = randomUUID().replaceAll('-', '');
      const answered = new Promise((r) => waiters.set(id, r));
      while (!sender.sendable()) await creditFor(sender);
      sender.send({ body: body(), message_id: id, reply_to: replyAddress, ttl: 30_000 });
      return answered;
    },
    cast: async () => { while (!castSender.sendable()) await creditFor(castSender); castSender.send({ body: body() }); },
    casts: () => casts,
    close: async () => { clientConn.close(); serverConn.close(); },
  };
}

export async function run() {
  const o = await oursSetup();
  const w = await rawSetup();
  const seq = await alternate(() => drive(o.call, 1), () => drive(w.call, 1));
  const c10 = await alternate(() => drive(o.call, 10), () => drive(w.call, 10));
  const c100 = await alternate(() => drive(o.call, 100), () => drive(w.call, 100));
  const cast = await alternate(async () => ({ rate: await endToEnd(o.cast, o.casts) }), async () => ({ rate: await endToEnd(w.cast, w.casts) }));
  await o.close();
  await w.close();
  const raw = 'raw rhea';
  return [
    { row: 'sequential call', unit: 'calls/s', ours: seq.ours.rate, anchors: { [raw]: seq.raw.rate }, extra: { ours: latency(seq.ours), raw: latency(seq.raw) } },
    { row: 'calls, 10 concurrent callers', unit: 'calls/s', ours: c10.ours.rate, anchors: { [raw]: c10.raw.rate }, extra: { ours: latency(c10.ours), raw: latency(c10.raw) } },
    { row: 'calls, 100 concurrent callers', unit: 'calls/s', ours: c100.ours.rate, anchors: { [raw]: c100.raw.rate }, extra: { ours: latency(c100.ours), raw: latency(c100.raw) } },
    { row: 'cast end-to-end (pre-settled)', unit: 'msgs/s', ours: cast.ours.rate, anchors: { [raw]: cast.raw.rate } },
  ];
}
