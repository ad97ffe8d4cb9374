// ZeroMQ: driver-zmq (servers found through Redis) against raw zeromq.js DEALER/ROUTER doing the same
// request/reply work by hand (JSON in, JSON out, a reply or an ACK per message), in this run.
import { randomUUID } from 'node:crypto';
import { Dealer, Router } from 'zeromq';
import { compareRpc, osloRpcBench, PAYLOAD } from './_measure.mjs';

export const name = 'zmq';
export const description = 'ZeroMQ over loopback (Redis matchmaker): driver-zmq vs raw zeromq.js DEALER/ROUTER';

const URL_ = process.env.OSLO_BENCH_ZMQ_URL ?? 'zmq+redis://127.0.0.1:6379/?rpc_zmq_bind_address=127.0.0.1';

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
  return compareRpc(await osloRpcBench(URL_), await rawSetup(), 'raw zeromq.js', 'acknowledged cast end-to-end');
}
