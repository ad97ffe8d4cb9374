#!/usr/bin/env node
/**
 * Soak run of the RabbitMQ driver: mixed call, cast and notification traffic for N minutes against the
 * standalone node oslo-soak@localhost (127.0.0.1:5721, from scripts/rabbit-nodes.mjs, so the shared
 * broker on 5672 is never disturbed), restarting that broker at a fixed period. Runs with Node's defaults:
 * an unhandled rejection in the library ends the run.
 *
 *   npm run soak                                   # build, then 5 minutes, a broker restart every 60 s
 *   node scripts/soak.mjs --minutes 2 --restart-every 30 [--kill]   # --kill: SIGKILL instead of a clean stop
 *
 * Prints every 10 s and at the end: casts sent / confirmed / consumed / lost (confirmed, never consumed) /
 * duplicated (consumed twice), calls ok / failed / past-deadline (settled later than timeout + 1 s),
 * notifications sent / confirmed / consumed, heap and RSS at start, after 10 s of traffic and at the end. Exits 1 when a confirmed cast
 * or notification was lost or a call settled past its deadline.
 */
import { parseArgs } from 'node:util';
import {
  getNotificationListener,
  getNotificationTransport,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  Notifier,
} from '@oslo-messaging/core';
import {
  ctl,
  killNode,
  restartNode,
  setLogger,
  SOAK_NODE,
  startNode,
  startSoakNode,
  stopNode,
} from './rabbit-nodes.mjs';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    'restart-every': { type: 'string', default: '60' },
    kill: { type: 'boolean', default: false },
  },
});
const MINUTES = Number(values.minutes);
const RESTART_EVERY_S = Number(values['restart-every']);
if (!(MINUTES > 0) || !(RESTART_EVERY_S > 0))
  throw new Error('--minutes and --restart-every take positive numbers (minutes, seconds)');
const CALL_TIMEOUT = 5;
const out = (m) => process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
setLogger((m) => out(m));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (n) => `${(n / 1048576).toFixed(1)} MB`;

const { url } = await startSoakNode();
const topic = 'soak';
for (const q of [topic, `${topic}.s1`, `${topic}.info`])
  await ctl(SOAK_NODE, ['delete_queue', q]).catch(() => undefined);

let driverWarnings = 0;
const logger = { debug() {}, info() {}, warn: () => void driverWarnings++, error: (m) => out(`driver error: ${m}`) };
const options = { url, logger, controlExchange: 'soak', driverOptions: { amqp_durable_queues: true } };
const serverT = await getRpcTransport(options);
const clientT = await getRpcTransport(options);
const notifyT = await getNotificationTransport(options);
const listenT = await getNotificationTransport(options);

const s = {
  castsSent: 0,
  castsConfirmed: 0,
  castsFailed: 0,
  castsConsumed: 0,
  castsDuplicated: 0,
  callsOk: 0,
  callsFailed: 0,
  callsPastDeadline: 0,
  callsWrong: 0,
  slowestCallMs: 0,
  notesSent: 0,
  notesConfirmed: 0,
  notesFailed: 0,
  notesConsumed: 0,
  restarts: 0,
};
const confirmedCasts = new Set();
const consumedCasts = new Set();
const confirmedNotes = new Set();
const consumedNotes = new Set();

const server = getRpcServer(serverT, { topic, server: 's1' }, [
  {
    echo: (_c, { v }) => v,
    record: (_c, { n }) => {
      if (consumedCasts.has(n)) s.castsDuplicated++;
      else consumedCasts.add(n);
    },
  },
]);
await server.start();
const listener = getNotificationListener(
  listenT,
  [{ topic }],
  [{ info: (_c, _p, _e, { n }) => void consumedNotes.add(n) }],
);
await listener.start();
const client = getRpcClient(clientT, { topic }, { timeout: CALL_TIMEOUT });
const notifier = new Notifier(notifyT, { publisherId: 'soak', topics: [topic] });

const memStart = process.memoryUsage();
const startedAt = Date.now();
const endAt = startedAt + MINUTES * 60_000;
let running = true;

async function callLoop() {
  let v = 0;
  while (running) {
    const t0 = performance.now();
    const want = v++;
    try {
      const got = await client.call({}, 'echo', { v: want });
      if (got === want) s.callsOk++;
      else s.callsWrong++;
    } catch {
      s.callsFailed++;
    }
    const ms = performance.now() - t0;
    s.slowestCallMs = Math.max(s.slowestCallMs, Math.round(ms));
    if (ms > CALL_TIMEOUT * 1000 + 1000) s.callsPastDeadline++;
    await sleep(5);
  }
}
let castN = 0;
async function castLoop() {
  while (running) {
    const n = castN++;
    s.castsSent++;
    try {
      await client.cast({}, 'record', { n });
      s.castsConfirmed++;
      confirmedCasts.add(n);
    } catch {
      s.castsFailed++;
    }
    await sleep(5);
  }
}
let noteN = 0;
async function notifyLoop() {
  while (running) {
    const n = noteN++;
    s.notesSent++;
    try {
      await notifier.info({}, 'soak.event', { n });
      s.notesConfirmed++;
      confirmedNotes.add(n);
    } catch {
      s.notesFailed++;
    }
    await sleep(10);
  }
}

function line() {
  s.castsConsumed = consumedCasts.size;
  s.notesConsumed = consumedNotes.size;
  const lost = [...confirmedCasts].filter((n) => !consumedCasts.has(n)).length;
  const notesLost = [...confirmedNotes].filter((n) => !consumedNotes.has(n)).length;
  const m = process.memoryUsage();
  return `casts sent ${s.castsSent} confirmed ${s.castsConfirmed} failed ${s.castsFailed} consumed ${s.castsConsumed} not-yet-consumed/lost ${lost} duplicated ${s.castsDuplicated} | calls ok ${s.callsOk} failed ${s.callsFailed} past-deadline ${s.callsPastDeadline} wrong ${s.callsWrong} slowest ${s.slowestCallMs} ms | notifications sent ${s.notesSent} confirmed ${s.notesConfirmed} consumed ${s.notesConsumed} not-yet-consumed/lost ${notesLost} | restarts ${s.restarts} | heap ${mb(m.heapUsed)} rss ${mb(m.rss)}`;
}

const loops = [callLoop(), callLoop(), castLoop(), notifyLoop()];
let memWarm;
const progress = setInterval(() => {
  memWarm ??= process.memoryUsage(); // after the first 10 s of traffic: the baseline for growth
  out(line());
}, 10_000);
out(
  `${MINUTES} min against ${url}, broker ${values.kill ? 'SIGKILL + start' : 'restart'} every ${RESTART_EVERY_S} s; heap ${mb(memStart.heapUsed)} rss ${mb(memStart.rss)}`,
);
while (Date.now() + RESTART_EVERY_S * 1000 < endAt) {
  await sleep(RESTART_EVERY_S * 1000);
  const t0 = Date.now();
  if (values.kill) {
    await killNode(SOAK_NODE);
    await startNode(SOAK_NODE);
  } else {
    await restartNode(SOAK_NODE);
  }
  s.restarts++;
  out(`broker ${values.kill ? 'killed and started' : 'restarted'} in ${Date.now() - t0} ms`);
}
await sleep(Math.max(0, endAt - Date.now()));
running = false;
await Promise.all(loops);
// What the broker confirmed must arrive: give the queues time to drain.
const drainUntil = Date.now() + 60_000;
while (
  Date.now() < drainUntil &&
  ([...confirmedCasts].some((n) => !consumedCasts.has(n)) || [...confirmedNotes].some((n) => !consumedNotes.has(n)))
)
  await sleep(200);
clearInterval(progress);
const lost = [...confirmedCasts].filter((n) => !consumedCasts.has(n)).length;
const notesLost = [...confirmedNotes].filter((n) => !consumedNotes.has(n)).length;
await server.stop();
await server.wait();
await listener.stop();
await listener.wait();
await Promise.all([serverT.cleanup(), clientT.cleanup(), notifyT.cleanup(), listenT.cleanup()]);
const memEnd = process.memoryUsage();
out(`final: ${line()}`);
out(`casts lost ${lost}, notifications lost ${notesLost}, driver warnings ${driverWarnings}`);
out(
  `memory: heap ${mb(memStart.heapUsed)} at start, ${mb(memWarm?.heapUsed ?? 0)} after 10 s of traffic, ${mb(memEnd.heapUsed)} at the end; rss ${mb(memStart.rss)}, ${mb(memWarm?.rss ?? 0)}, ${mb(memEnd.rss)} (${((Date.now() - startedAt) / 60_000).toFixed(1)} min)`,
);
for (const q of [topic, `${topic}.s1`, `${topic}.info`])
  await ctl(SOAK_NODE, ['delete_queue', q]).catch(() => undefined);
await stopNode(SOAK_NODE); // only this run needs it; the next run starts it again
const ok = lost === 0 && notesLost === 0 && s.callsPastDeadline === 0 && s.callsWrong === 0;
out(ok ? 'OK' : 'FAILED: confirmed messages were lost, or calls settled past their deadline or with a wrong reply');
process.exit(ok ? 0 : 1);
