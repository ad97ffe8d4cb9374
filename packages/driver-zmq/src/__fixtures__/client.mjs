// The calling side of the zmq fault scenarios: one transport for the whole run (faults must heal
// without recreating it), driven by JSON commands on stdin, reporting every call through `timed`
// (so the harness checks each settled by its deadline). Runs with Node's defaults, no handlers.
// Usage: node client.mjs <url>. Commands (one JSON object a line):
//   {"op":"batch","id","kind":"call"|"cast","topic","server"?,"n","concurrency"?,"timeout"?,"method"?,"args"?,"callMonitorTimeout"?}
//       runs n operations, then reports `done {id, ok, failed, errors, byPid}`
//   {"op":"load", ...the same without n, "intervalMs"?}: keeps calling until {"op":"stop","id"}, then `done`
//   {"op":"exit"}: stops loads, cleans the transport up, reports `cleaned`; the process must then exit by itself.
// OSLO_ZMQ_DRIVER_MODULE=<path of a built driver-zmq index.js> and OSLO_ZMQ_REDIS_MODULE=<... of
// matchmaker-redis> run other builds (to show that a test fails on old code); the harness passes the
// test's environment on to every process.
import { pathToFileURL } from 'node:url';
import { createConsoleLogger, getRpcClient, getRpcTransport, registerPlugin } from '@oslo-messaging/core';
import { ENTRY_POINT_GROUPS } from '@oslo-messaging/core/spi';
import { nextCommand, report, sleep, timed } from '@oslo-messaging/testkit/scenario';

const [url] = process.argv.slice(2);
if (process.env.OSLO_ZMQ_DRIVER_MODULE)
  registerPlugin(
    ENTRY_POINT_GROUPS.drivers,
    'zmq',
    (await import(pathToFileURL(process.env.OSLO_ZMQ_DRIVER_MODULE).href)).zmqDriver,
  );
if (process.env.OSLO_ZMQ_REDIS_MODULE)
  registerPlugin(
    ENTRY_POINT_GROUPS.matchmakers,
    'redis',
    (await import(pathToFileURL(process.env.OSLO_ZMQ_REDIS_MODULE).href)).redisMatchmaker,
  );
const logger = createConsoleLogger(process.env.OSLO_SCENARIO_LOG ?? 'warn', 'client');
const transport = await getRpcTransport({ url, logger });
report('started');

const loads = new Map();
const running = new Set();

function clientFor(c) {
  const target = { topic: c.topic, ...(c.server ? { server: c.server } : {}) };
  const options = {
    ...(c.timeout !== undefined ? { timeout: c.timeout } : {}),
    ...(c.callMonitorTimeout ? { callMonitorTimeout: c.callMonitorTimeout } : {}),
    ...(c.retry !== undefined ? { retry: c.retry } : {}),
  };
  return getRpcClient(transport, target, options);
}

/** Runs operation `i` of command `c` and adds its outcome to `tally`. */
async function one(c, client, i, tally) {
  const call = c.kind !== 'cast';
  const r = await timed(
    call ? 'call' : 'cast',
    call ? (c.timeout ?? 60) : c.timeout,
    () =>
      call
        ? client.call({}, c.method ?? 'whoami', c.args ?? {})
        : client.cast({}, c.method ?? 'note', { ...c.args, v: `${c.id}:${i}` }),
    { id: c.id, i },
  );
  if (r.ok) {
    tally.ok++;
    const pid = r.value?.pid;
    if (pid !== undefined) {
      tally.byPid[pid] = (tally.byPid[pid] ?? 0) + 1;
      report('reply', { id: c.id, i, pid, server: r.value.server, at: Date.now() });
    }
  } else {
    tally.failed++;
    const name = r.error?.name ?? 'Error';
    tally.errors[name] = (tally.errors[name] ?? 0) + 1;
  }
}

const newTally = () => ({ ok: 0, failed: 0, errors: {}, byPid: {} });

async function batch(c) {
  const client = clientFor(c);
  const tally = newTally();
  let next = 0;
  const worker = async () => {
    while (next < c.n) await one(c, client, next++, tally);
  };
  await Promise.all(Array.from({ length: c.concurrency ?? 1 }, worker));
  report('done', { id: c.id, ...tally });
}

async function load(c) {
  const client = clientFor(c);
  const tally = newTally();
  const state = { stopped: false };
  loads.set(c.id, state);
  let next = 0;
  const worker = async () => {
    while (!state.stopped) {
      await one(c, client, next++, tally);
      await sleep(c.intervalMs ?? 20);
    }
  };
  report('load-started', { id: c.id });
  await Promise.all(Array.from({ length: c.concurrency ?? 1 }, worker));
  report('done', { id: c.id, ...tally });
}

function start(work) {
  const p = work.catch((err) => {
    report('scenario-error', { message: String(err?.stack ?? err) });
    process.exitCode = 1;
  });
  running.add(p);
  void p.then(() => running.delete(p));
}

for (;;) {
  const line = await nextCommand();
  if (line === undefined) break;
  if (line.trim() === '') continue;
  const c = JSON.parse(line);
  if (c.op === 'batch') start(batch(c));
  else if (c.op === 'load') start(load(c));
  else if (c.op === 'stop') loads.get(c.id).stopped = true;
  else if (c.op === 'exit') break;
  else throw new Error(`unknown command ${line}`);
}
for (const l of loads.values()) l.stopped = true;
await Promise.all(running);
await transport.cleanup();
report('cleaned');
process.stdin.destroy();
// Nothing may keep the process alive after cleanup.
setTimeout(() => (report('hung'), process.exit(3)), 10_000).unref();
