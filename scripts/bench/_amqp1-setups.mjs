// The two sides of the AMQP 1.0 scenario (scripts/bench/amqp1.mjs), shared with its allocation child
// (_amqp1-child.mjs): our RPC over driver-amqp1, and raw rhea doing the same work by hand.
import { randomUUID } from 'node:crypto';
import rhea from 'rhea';
import { measureCalls as measure, osloRpcBench, PAYLOAD } from './_measure.mjs';

export const URL_ = process.env.OSLO_BENCH_AMQP1_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';
const { hostname, port, username, password } = new URL(URL_);

/** Ours: a server and a client on one transport (so one connection), as every RPC scenario. */
export const oursSetup = () => osloRpcBench(URL_);

/**
 * Raw rhea doing what driver-amqp1 does on RabbitMQ, by hand: one connection for client and server
 * (ours shares one transport), every link on its own session, the server's receiver on a `/queue/`
 * address with credit 100 and explicit accepts, the request sent unsettled (its disposition watched:
 * a refused request fails its call), a deadline timer per call, the reply pre-settled on a cached
 * sender per reply address (with `to` and the correlation id) to a reply queue on amq.direct read with
 * credit 200, and the same amqp-value JSON string bodies (`{"request":…,"context":{}}` / `{"response":…}`).
 */
export async function rawSetup() {
  const conn = rhea.create_container().connect({
    host: hostname,
    port: Number(port || 5672),
    username: decodeURIComponent(username),
    password: decodeURIComponent(password),
    reconnect: false,
    tcp_no_delay: true,
  });
  conn.on('error', () => undefined);
  await new Promise((resolve) => conn.once('connection_open', resolve));
  const session = () => {
    const s = conn.create_session();
    s.begin();
    return s;
  };
  const queue = `/queue/rawbench_${randomUUID().slice(0, 8)}`;
  const replyAddress = `/exchange/amq.direct/rawreply_${randomUUID().slice(0, 8)}`;
  let casts = 0;
  const replySenders = new Map();
  const replySender = (address) => {
    let s = replySenders.get(address);
    if (!s)
      replySenders.set(
        address,
        (s = session().open_sender({ source: { address }, target: { address }, snd_settle_mode: 1 })),
      );
    return s;
  };
  const rx = session().open_receiver({ source: { address: queue }, credit_window: 100, autoaccept: false });
  rx.on('message', (ctx) => {
    const req = JSON.parse(ctx.message.body);
    ctx.delivery.accept();
    const replyTo = ctx.message.reply_to;
    if (replyTo)
      replySender(replyTo).send({
        body: JSON.stringify({ response: req.request.args.payload }),
        to: replyTo,
        correlation_id: ctx.message.message_id,
      });
    else casts++;
  });
  const waiters = new Map();
  const finish = (id, fn, v) => {
    const w = waiters.get(id);
    if (!w) return;
    waiters.delete(id);
    clearTimeout(w.timer);
    w[fn](v);
  };
  const replies = session().open_receiver({ source: { address: replyAddress }, credit_window: 200, autoaccept: false });
  replies.on('message', (ctx) => {
    ctx.delivery.accept();
    finish(String(ctx.message.correlation_id), 'resolve', JSON.parse(ctx.message.body).response);
  });
  await Promise.all([
    new Promise((r) => rx.once('receiver_open', r)),
    new Promise((r) => replies.once('receiver_open', r)),
  ]);
  const sender = session().open_sender({ source: { address: queue }, target: { address: queue } });
  const castSender = session().open_sender({
    source: { address: queue },
    target: { address: queue },
    snd_settle_mode: 1,
  });
  const refused = (ctx) => finish(ctx.delivery.callId, 'reject', new Error('request refused'));
  for (const ev of ['rejected', 'released', 'modified']) sender.on(ev, refused);
  await Promise.all([
    new Promise((r) => sender.once('sendable', r)),
    new Promise((r) => castSender.once('sendable', r)),
  ]);
  // Respect link credit, checked right before each send as any real client must (rhea's session buffer overflows otherwise).
  sender.setMaxListeners(0);
  castSender.setMaxListeners(0);
  const creditFor = (s) => new Promise((r) => s.once('sendable', r));
  const body = () => JSON.stringify({ request: { method: 'echo', args: { payload: PAYLOAD } }, context: {} });
  const { product = 'broker', version = '' } = conn.remote?.open?.properties ?? {};
  return {
    broker: `${product} ${version}`.trim(),
    call: async () => {
      const id = randomUUID().replaceAll('-', '');
      const answered = new Promise((resolve, reject) =>
        waiters.set(id, {
          resolve,
          reject,
          timer: setTimeout(() => finish(id, 'reject', new Error('timed out')), 30_000),
        }),
      );
      while (!sender.sendable()) await creditFor(sender);
      sender.send({ body: body(), message_id: id, reply_to: replyAddress, ttl: 30_000 }).callId = id;
      return answered;
    },
    cast: async () => {
      while (!castSender.sendable()) await creditFor(castSender);
      castSender.send({ body: body() });
    },
    casts: () => casts,
    close: async () => {
      const closed = new Promise((r) => conn.once('connection_close', r));
      conn.close();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
    },
  };
}

export const SIDES = { ours: oursSetup, raw: rawSetup };

/** The shared measuring loop (`measureCalls` in _measure.mjs), under the name the children use. */
export { measure };
