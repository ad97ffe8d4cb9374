// Call + cast load against a RabbitMQ cluster, in its own process with Node's defaults (no
// process-level handlers: an unhandled rejection in the library kills it and the parent sees it).
// Usage: node cluster-load.mjs <url> <topic>
// Reports (testkit scenario records): `ready`; `settled` for every call (limit 3 s) and cast (with
// its number `n`); `consumed` {n} for every cast the server handled; `driver` for driver warnings;
// `fresh-call` for the calls of a client started on the `fresh-client` command; after the parent sends
// `stop`: `drained` {confirmed, consumed, missing} and exits 0.
import { getRpcClient, getRpcServer, getRpcTransport } from '@oslo-messaging/core';
import { nextCommand, report, sleep, timed } from '@oslo-messaging/testkit/scenario';

const [url, topic] = process.argv.slice(2);
if (!url || !topic) throw new Error('usage: cluster-load.mjs <url> <topic>');
const CALL_TIMEOUT = 3;

const verbose = process.env.OSLO_SCENARIO_VERBOSE === '1';
const logger = {
  debug: (message) =>
    verbose && report('driver', { level: 'debug', at: Date.now(), message: String(message).slice(0, 300) }),
  info: (message) =>
    verbose && report('driver', { level: 'info', at: Date.now(), message: String(message).slice(0, 300) }),
  warn: (message) => report('driver', { level: 'warn', at: Date.now(), message: String(message).slice(0, 300) }),
  error: (message, fields) =>
    report('driver', {
      level: 'error',
      at: Date.now(),
      message: String(message).slice(0, 300),
      err: String(fields?.err ?? '').slice(0, 300),
    }),
};
const transport = await getRpcTransport({
  url,
  logger,
  controlExchange: `${topic}_x`,
  driverOptions: { rabbit_quorum_queue: true, amqp_durable_queues: true, heartbeat_timeout_threshold: 6 },
});

const consumed = new Set();
const server = getRpcServer(transport, { topic, server: 'srv1' }, [
  {
    echo: (_ctxt, { v }) => v,
    record: (_ctxt, { n }) => {
      if (!consumed.has(n)) report('consumed', { n });
      consumed.add(n);
    },
  },
]);
await server.start();
const client = getRpcClient(transport, { topic }, { timeout: CALL_TIMEOUT });

// Warm up: the queues exist and a call round-trips before any fault.
for (let i = 0; ; i++) {
  const r = await timed('warmup', CALL_TIMEOUT, () => client.call({}, 'echo', { v: -1 }));
  if (r.ok) break;
  if (i > 20) throw new Error('no call succeeded during warm-up');
}
report('ready', { pid: process.pid });

let running = true;
let callSeq = 0;
/** Operations in flight, to name the ones that never settle. */
const inFlight = new Map();
let opSeq = 0;
async function tracked(op, limit, fn, extra) {
  const id = opSeq++;
  inFlight.set(id, { op, startedAt: Date.now(), ...extra });
  try {
    return await timed(op, limit, fn, extra);
  } finally {
    inFlight.delete(id);
  }
}
async function callLoop(worker) {
  while (running) {
    const v = callSeq++;
    const r = await tracked('call', CALL_TIMEOUT, () => client.call({}, 'echo', { v }), { worker, v });
    if (r.ok && r.value !== v) report('wrong-reply', { v, got: r.value });
    await sleep(r.ok ? 40 : 10);
  }
}
const confirmed = new Set();
async function castLoop() {
  let n = 0;
  while (running) {
    const i = n++;
    const r = await tracked('cast', undefined, () => client.cast({}, 'record', { n: i }), { n: i });
    if (r.ok) confirmed.add(i);
    await sleep(25);
  }
}
const loops = [callLoop(1), callLoop(2), castLoop()];

// Commands: `fresh-client` starts a second client transport now (as a service starting during a
// failover would) whose calls report as op `fresh-call`; `stop` ends the run.
const freshTransports = [];
for (;;) {
  const command = await nextCommand();
  if (command === 'fresh-client') {
    const t = await getRpcTransport({
      url,
      logger,
      controlExchange: `${topic}_x`,
      driverOptions: { rabbit_quorum_queue: true, amqp_durable_queues: true, heartbeat_timeout_threshold: 6 },
    });
    freshTransports.push(t);
    const fresh = getRpcClient(t, { topic }, { timeout: CALL_TIMEOUT });
    loops.push(
      (async () => {
        while (running) {
          const v = callSeq++;
          const r = await tracked('fresh-call', CALL_TIMEOUT, () => fresh.call({}, 'echo', { v }), { v });
          if (r.ok && r.value !== v) report('wrong-reply', { v, got: r.value });
          await sleep(r.ok ? 40 : 10);
        }
      })(),
    );
    report('fresh-client', { at: Date.now() });
    continue;
  }
  if (command === 'stop') break;
  throw new Error(`unknown command ${JSON.stringify(command)}`);
}
running = false;
report('stopping', { at: Date.now() });
/** Bounds a step of the shutdown: an operation that never settles is reported, and the exit code says so. */
let hung = false;
async function bounded(step, ms, promise) {
  let timer;
  const result = await Promise.race([
    promise.then(() => true),
    new Promise((r) => (timer = setTimeout(() => r(false), ms))),
  ]);
  clearTimeout(timer);
  if (!result) {
    hung = true;
    report('hung', { step, now: Date.now(), inFlight: [...inFlight.values()].slice(0, 20) });
  }
}
await bounded('operations in flight', 20_000, Promise.all(loops));
// Every confirmed cast must reach the server: give the queue time to deliver what it holds.
const deadline = Date.now() + 30_000;
while ([...confirmed].some((n) => !consumed.has(n)) && Date.now() < deadline) await sleep(100);
const missing = [...confirmed].filter((n) => !consumed.has(n));
report('drained', {
  confirmed: confirmed.size,
  consumed: consumed.size,
  missing: missing.slice(0, 50),
  missingCount: missing.length,
});
await bounded(
  'server stop',
  20_000,
  (async () => {
    await server.stop();
    await server.wait();
  })(),
);
await bounded('transport cleanup', 20_000, Promise.all([transport, ...freshTransports].map((t) => t.cleanup())));
report('exit', { hung });
if (hung) process.exit(3);
// Nothing of ours is left but stdin: after cleanup the library must not keep the process alive.
process.stdin.destroy();
setTimeout(() => {
  report('lingering', { handles: process.getActiveResourcesInfo() });
  process.exit(4);
}, 10_000).unref();
