// A user's service in a child process with Node's defaults (no process-level handlers): an RPC
// server and client on one transport, driven by commands on stdin from the fault test.
//   server          start the RPC server (records op "server-start")
//   load            start call + cast + notification traffic in the background
//   call | cast     one operation, recorded
//   stop            stop the traffic, wait for every confirmed cast to be consumed, report
//                   "summary", stop the server, clean up, and let the process exit by itself
//   shutdown        stop the server and clean up at once (even during an outage), report "cleaned-up"
// Configuration: JSON in the SCENARIO environment variable (url, exchange, topic, callTimeout,
// castTimeout, driverOptions, verbose).
import {
  getNotificationListener,
  getNotificationTransport,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  Notifier,
  silentLogger,
} from '@oslo-messaging/core';
import { nextCommand, report, sleep, timed } from '@oslo-messaging/testkit/scenario';

const cfg = JSON.parse(process.env.SCENARIO ?? '{}');
const logger = cfg.verbose
  ? {
      debug() {},
      info() {},
      warn: (m) => console.error(`${new Date().toISOString()} WARN ${m}`),
      error: (m, f) =>
        console.error(
          `${new Date().toISOString()} ERROR ${m}${f?.queue ? ` [queue ${f.queue}]` : ''} ${f?.err?.message ?? ''}`,
        ),
    }
  : silentLogger;
const options = { url: cfg.url, controlExchange: cfg.exchange, driverOptions: cfg.driverOptions ?? {}, logger };
const transport = await getRpcTransport(options);
const notifications = await getNotificationTransport(options);
const consumed = new Map();
const notified = new Set();
const server = getRpcServer(transport, { topic: cfg.topic, server: 's1' }, [
  {
    echo: (_c, { v }) => v,
    record: (_c, { n }) => void consumed.set(n, (consumed.get(n) ?? 0) + 1),
  },
]);
const listener = getNotificationListener(
  notifications,
  [{ topic: cfg.topic }],
  [{ info: (_c, _p, _e, payload) => void notified.add(payload.n) }],
);
const client = getRpcClient(transport, { topic: cfg.topic }, { timeout: cfg.callTimeout ?? 2 });
const caster = getRpcClient(transport, { topic: cfg.topic }, cfg.castTimeout ? { timeout: cfg.castTimeout } : {});
const notifier = new Notifier(notifications, { publisherId: 'scenario', topics: [cfg.topic] });

const confirmed = new Set();
let castsSent = 0;
let castFailures = 0;
let running = false;
let loops = [];

async function callLoop() {
  for (let i = 0; running; i++) {
    const r = await timed('call', cfg.callTimeout ?? 2, () => client.call({}, 'echo', { v: i }), { i });
    await sleep(r.ok ? 20 : 100);
  }
}

async function castLoop() {
  const inflight = new Set();
  for (let n = 0; running; n++) {
    castsSent++;
    const p = caster.cast({}, 'record', { n }).then(
      () => void confirmed.add(n),
      () => void castFailures++,
    );
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    if (inflight.size >= 50) await Promise.race(inflight);
    await sleep(10);
  }
  await Promise.all(inflight);
}

async function notifyLoop() {
  for (let n = 0; running; n++) {
    await notifier.info({}, 'scenario.tick', { n });
    await sleep(50);
  }
}

for (;;) {
  const command = await nextCommand();
  if (command === undefined) break;
  if (command === 'server') {
    await timed('server-start', undefined, async () => {
      await server.start();
      await listener.start();
    });
  } else if (command === 'load') {
    running = true;
    loops = [callLoop(), castLoop(), notifyLoop()];
    report('loading');
  } else if (command === 'call') {
    await timed('call', cfg.callTimeout ?? 2, () => client.call({}, 'echo', { v: 'one' }));
  } else if (command === 'cast') {
    await timed('cast', cfg.castTimeout, () => caster.cast({}, 'record', { n: `one-${castsSent++}` }));
  } else if (command === 'shutdown') {
    // Stop and clean up now, whatever the broker is doing: pending operations are rejected by cleanup.
    running = false;
    report('shutting-down');
    break;
  } else if (command === 'stop') {
    running = false;
    await Promise.all(loops);
    const until = Date.now() + 30_000;
    while ([...confirmed].some((n) => !consumed.has(n)) && Date.now() < until) await sleep(100);
    const lost = [...confirmed].filter((n) => !consumed.has(n));
    const duplicated = [...consumed.values()].filter((c) => c > 1).length;
    report('summary', {
      castsSent,
      confirmed: confirmed.size,
      castFailures,
      consumed: consumed.size,
      lost: lost.length,
      lostSample: lost.slice(0, 10),
      duplicated,
      notificationsSeen: notified.size,
    });
    break;
  }
}
const t0 = Date.now();
await server.stop();
await server.wait();
await listener.stop();
await listener.wait();
await transport.cleanup();
await notifications.cleanup();
await Promise.all(loops);
report('cleaned-up', { ms: Date.now() - t0 });
process.stdin.destroy();
// A library that leaves handles behind keeps the process alive: the harness kills it and the test fails.
