// AMQP 1.0 through RabbitMQ's AMQP 1.0 plugin: driver-amqp1 against raw rhea doing the same
// request/reply by hand (JSON in, JSON out, correlation ids, a reply queue), measured in this run.
import { randomUUID } from 'node:crypto';
import rhea from 'rhea';
import { compareRpc, osloRpcBench, PAYLOAD } from './_measure.mjs';

export const name = 'amqp1';
export const description = 'AMQP 1.0 via RabbitMQ 127.0.0.1:5672 (rabbitmq addressing): driver-amqp1 vs raw rhea';

const URL_ = process.env.OSLO_BENCH_AMQP1_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';

/** Raw rhea: a server receiver on a queue answering to reply-to, a client with a reply queue and correlation ids. */
async function rawSetup() {
  const open = () => {
    const conn = rhea.create_container().connect({
      host: '127.0.0.1',
      port: 5672,
      username: 'guest',
      password: 'guest',
      reconnect: false,
      tcp_no_delay: true,
    });
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
  return compareRpc(await osloRpcBench(URL_), await rawSetup(), 'raw rhea', 'cast end-to-end (pre-settled)');
}
