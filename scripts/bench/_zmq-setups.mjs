// The sides of the ZeroMQ scenario (scripts/bench/zmq.mjs), shared with its child processes
// (_zmq-child.mjs): our driver, raw zeromq.js doing the same round trip by hand, and Moleculer 0.14's
// TCP transporter (the brokerless Node anchor). Every side: a server and a client in this process,
// talking over loopback TCP, JSON in and out, 100-byte payload, a reply per call.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { osloRpcBench, PAYLOAD } from './_measure.mjs';

export const ZMQ_URL = process.env.OSLO_BENCH_ZMQ_URL ?? 'zmq+redis://127.0.0.1:6379/?rpc_zmq_bind_address=127.0.0.1';

/** Ours: an RPC server and client over driver-zmq, the server found through the Redis matchmaker. */
export const oursSetup = () => osloRpcBench(ZMQ_URL);

/**
 * Raw zeromq.js, the same socket pattern as our driver: the client's DEALER talks to the server's
 * ROUTER; each request is a header frame and a JSON frame, answered by a reply (calls) or an ACK
 * (casts) correlated by id. zeromq.js allows one pending send per socket, so both ends queue their
 * sends (what any real client must do), without batching.
 */
export async function rawSetup() {
  const { Dealer, Router } = await import('zeromq');
  const router = new Router({ sendHighWaterMark: 0, receiveHighWaterMark: 0 });
  await router.bind('tcp://127.0.0.1:*');
  const dealer = new Dealer({ immediate: true, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
  dealer.connect(router.lastEndpoint);
  let casts = 0;
  const serially = (socket) => {
    let tail = Promise.resolve();
    return (frames) => (tail = tail.then(() => socket.send(frames)));
  };
  const reply = serially(router);
  void (async () => {
    for await (const [identity, kind, id, body] of router) {
      const req = JSON.parse(body.toString());
      if (kind.toString() === 'call') reply([identity, id, JSON.stringify({ response: req.request.args.payload })]);
      else (casts++, reply([identity, id]));
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
  const send = serially(dealer);
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
    close: async () => {
      dealer.close();
      router.close();
    },
  };
}

/** A free TCP port on 127.0.0.1 (Moleculer's TCP transporter wants its port up front for static URLs). */
async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * Moleculer 0.14, TCP transporter: two brokers (client node and server node), UDP discovery off, each
 * knowing the other by a static URL, so every call is a TCP round trip between the two nodes (JSON
 * serializer, as ours). Logging, metrics and tracing off; `requestTimeout` as ours (30 s).
 */
export async function moleculerSetup() {
  const { ServiceBroker } = (await import('moleculer')).default;
  const namespace = `bench-${randomUUID().slice(0, 8)}`;
  const [sPort, cPort] = [await freePort(), await freePort()];
  const ids = { server: `${namespace}-server`, client: `${namespace}-client` };
  const urls = { [ids.server]: `127.0.0.1:${sPort}`, [ids.client]: `127.0.0.1:${cPort}` };
  const common = {
    namespace,
    logger: false,
    metrics: false,
    tracing: false,
    requestTimeout: 30_000,
    serializer: 'JSON',
  };
  const transporter = (port) => ({ type: 'TCP', options: { udpDiscovery: false, port, urls, useHostname: false } });
  const server = new ServiceBroker({ ...common, nodeID: ids.server, transporter: transporter(sPort) });
  server.createService({ name: 'bench', actions: { echo: (ctx) => ctx.params.payload } });
  const client = new ServiceBroker({ ...common, nodeID: ids.client, transporter: transporter(cPort) });
  await server.start();
  await client.start();
  await client.waitForServices('bench', 30_000);
  return {
    call: () => client.call('bench.echo', { payload: PAYLOAD }),
    close: async () => {
      await client.stop();
      await server.stop();
    },
  };
}

export const SIDES = { ours: oursSetup, raw: rawSetup, moleculer: moleculerSetup };
