// RabbitMQ: our driver against raw amqplib (the same confirm-publish/ack/reply work, by hand) and
// Python oslo.messaging 14, all measured in this run against the same broker.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';
import { getNotificationListener, getNotificationTransport, Notifier, silentLogger } from '@oslo-messaging/core';
import { alternate, drive, endToEnd, latency as lat, osloRpcBench, PAYLOAD, SECONDS } from './_measure.mjs';

export const name = 'rabbit';
export const description = 'RabbitMQ 127.0.0.1:5672: driver-rabbit vs raw amqplib vs Python oslo.messaging 14';

const RABBIT_URL = process.env.OSLO_BENCH_RABBIT_URL ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const AMQP = 'amqp://guest:guest@127.0.0.1:5672/';
const PY = fileURLToPath(new URL('../../test-fixtures/oslo-peer/bench.py', import.meta.url));

// ---- setups: ours and raw amqplib side by side, so rounds can alternate ----------------------
async function oursSetup() {
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
    close: async () => { await rpc.close(); await listener.stop(); await listener.wait(); await nt.cleanup(); },
  };
}

// Raw amqplib doing the same broker work by hand.
async function rawSetup() {
  const serverConn = await amqp.connect(AMQP, { noDelay: true });
  const clientConn = await amqp.connect(AMQP, { noDelay: true });
  const sch = await serverConn.createConfirmChannel();
  const cch = await clientConn.createConfirmChannel();
  const rch = await clientConn.createChannel();
  // Same broker work as oslo's topology: requests go through a topic exchange to a bound queue.
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
  await rch.consume(replyQ, (m) => { rch.ack(m); waiters.get(m.properties.correlationId)?.(JSON.parse(m.content.toString())); waiters.delete(m.properties.correlationId); });
  const publish = (body, props) => new Promise((res, rej) => cch.publish(x, q, Buffer.from(JSON.stringify(body)), { contentType: 'application/json', deliveryMode: 2, ...props }, (err) => (err ? rej(err) : res())));
  return {
    call: async () => {
      const id = randomUUID();
      const reply = new Promise((r) => waiters.set(id, r));
      await publish({ payload: PAYLOAD }, { replyTo: replyQ, correlationId: id, expiration: '30000' });
      return reply;
    },
    cast: () => publish({ payload: PAYLOAD }, {}),
    casts: () => casts,
    close: async () => { await serverConn.close(); await clientConn.close(); },
  };
}

async function python(mode) {
  if (!existsSync('/usr/bin/python3')) return undefined;
  try {
    const { stdout } = await promisify(execFile)('/usr/bin/python3', [PY, RABBIT_URL, mode, String(SECONDS)], { timeout: 120_000 });
    const r = JSON.parse(stdout.trim().split('\n').pop());
    return { rate: r.calls / r.seconds, p50: r.p50_ms, p99: r.p99_ms };
  } catch {
    return undefined;
  }
}

export async function run({ log }) {
  const o = await oursSetup();
  const w = await rawSetup();
  const seq = await alternate(() => drive(o.call, 1), () => drive(w.call, 1));
  const c10 = await alternate(() => drive(o.call, 10), () => drive(w.call, 10));
  const c100 = await alternate(() => drive(o.call, 100), () => drive(w.call, 100));
  const cast = await alternate(async () => ({ rate: await endToEnd(o.cast, o.casts) }), async () => ({ rate: await endToEnd(w.cast, w.casts) }));
  const notify = await alternate(async () => ({ rate: await endToEnd(o.notify, o.notes) }), async () => ({ rate: await endToEnd(w.cast, w.casts) }));
  await o.close();
  await w.close();
  const ours = { seq: seq.ours, c10: c10.ours, c100: c100.ours, cast: cast.ours.rate, notify: notify.ours.rate };
  const raw = { seq: seq.raw, c10: c10.raw, c100: c100.raw, cast: cast.raw.rate, notify: notify.raw.rate };
  const pySeq = await python('seq');
  const pyPar = await python('par10');
  if (!pySeq) log('Python oslo.messaging 14 not available: no Python anchor');
  const withPy = (anchors, py) => (py ? { ...anchors, 'python oslo.messaging': py.rate } : anchors);
  return [
    { row: 'sequential call', unit: 'calls/s', ours: ours.seq.rate, anchors: withPy({ 'raw amqplib': raw.seq.rate }, pySeq), extra: { ours: lat(ours.seq), raw: lat(raw.seq), ...(pySeq ? { python: lat(pySeq) } : {}) } },
    { row: 'calls, 10 concurrent callers', unit: 'calls/s', ours: ours.c10.rate, anchors: withPy({ 'raw amqplib': raw.c10.rate }, pyPar), extra: { ours: lat(ours.c10) } },
    { row: 'calls, 100 concurrent callers', unit: 'calls/s', ours: ours.c100.rate, anchors: { 'raw amqplib': raw.c100.rate }, extra: { ours: lat(ours.c100) } },
    { row: 'cast end-to-end', unit: 'msgs/s', ours: ours.cast, anchors: { 'raw amqplib': raw.cast } },
    { row: 'notification end-to-end', unit: 'msgs/s', ours: ours.notify, anchors: { 'raw amqplib': raw.notify } },
  ];
}
