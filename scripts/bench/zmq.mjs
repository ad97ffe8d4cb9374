// ZeroMQ: driver-zmq (servers found through Redis) against raw zeromq.js DEALER/ROUTER doing the same
// request/reply work by hand (JSON in, JSON out, a reply or an ACK per message), in this run.
import { randomUUID } from 'node:crypto';
import { Dealer, Router } from 'zeromq';
import { getRpcClient, getRpcServer, getRpcTransport, silentLogger } from '@oslo-messaging/core';
import { alternate, drive, endToEnd, latency } from './_measure.mjs';

export const name = 'zmq';
export const description = 'ZeroMQ over loopback (Redis matchmaker): driver-zmq vs raw zeromq.js DEALER/ROUTER';

const URL_ = process.env.OSLO_BENCH_ZMQ_URL ?? 'zmq+redis://127.0.0.1:6379/?rpc_zmq_bind_address=127.0.0.1';
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

/** Raw zeromq.js: a ROUTER answering each request (a reply for calls, an ACK for casts), a DEALER correlating by id. */
async function rawSetup() {
  const router = new Router();
  await router.bind('tcp://127.0.0.1:*');
  const dealer = new Dealer();
  dealer.connect(router.lastEndpoint);
  let casts = 0;
  void (async () => {
    for await (const [identity, kind, id, body] of router) {
      const req = JSON.parse(body.toString());
      if (kind.toString() === 'call') await router.send([identity, id, JSON.stringify({ response: req.request.args.payload })]);
      else (casts++, await router.send([identity, id]));
    }
  })().catch(() => undefined);
  const waiters = new Map();
  void (async () => {
    for await (const [id, body] of dealer) {
      const key = id.toString();
      waiters.get(key)?.(body ? JSON.parse(body.toString()).response : undefined);
      waiters.delete(key);
    }
  })().catch(() => undefined);
  // zeromq.js allows one pending send per socket: queue like any real client must.
  let tail = Promise.resolve();
  const send = (frames) => (tail = tail.then(() => dealer.send(frames)));
  const request = (kind) => {
    const id = randomUUID();
    const answered = new Promise((r) => waiters.set(id, r));
    send([kind, id, JSON.stringify({ request: { method: 'echo', args: { payload: PAYLOAD } }, context: {} })]);
    return answered;
  };
  return {
    call: () => request('call'),
    cast: () => request('cast'),
    casts: () => casts,
    close: async () => { dealer.close(); router.close(); },
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
  const raw = 'raw zeromq.js';
  return [
    { row: 'sequential call', unit: 'calls/s', ours: seq.ours.rate, anchors: { [raw]: seq.raw.rate }, extra: { ours: latency(seq.ours), raw: latency(seq.raw) } },
    { row: 'calls, 10 concurrent callers', unit: 'calls/s', ours: c10.ours.rate, anchors: { [raw]: c10.raw.rate }, extra: { ours: latency(c10.ours), raw: latency(c10.raw) } },
    { row: 'calls, 100 concurrent callers', unit: 'calls/s', ours: c100.ours.rate, anchors: { [raw]: c100.raw.rate }, extra: { ours: latency(c100.ours), raw: latency(c100.raw) } },
    { row: 'acknowledged cast end-to-end', unit: 'msgs/s', ours: cast.ours.rate, anchors: { [raw]: cast.raw.rate } },
  ];
}
