// A fault scenario for the AMQP 1.0 driver, run by amqp1-faults.integration.test.ts in a child process
// with Node's defaults: an unhandled rejection, an uncaught exception or an unlistened 'error' event
// kills this process, as it would kill a user's service. The parent owns the broker and stages the
// faults; this script runs an RPC server, a notification listener, clients and a notifier through them
// on ONE set of transport/client/server objects (recovery must not need new ones) and reports every
// operation with `timed` (its settlement time against its own deadline).
//
//   node amqp1-faults.mjs fault <url>       broker up; parent: "fault" (stop or SIGSTOP), "restored", "fault2"
//   node amqp1-faults.mjs down-at-start <url>  broker down at first; parent: "restored" once it is up
//   node amqp1-faults.mjs no-credit <url>   the broker never grants credit to "nocredit" addresses
//   node amqp1-faults.mjs reconnect-loop    peers that accept TCP and hang up / never answer
//
// Every mode ends by cleaning up with operations pending and must then exit on its own (nothing keeps
// the event loop alive: no reconnect timer, no socket).
import { createServer } from 'node:net';
import {
  getNotificationListener,
  getNotificationTransport,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  Notifier,
  registerPlugin,
} from '@oslo-messaging/core';
import { ENTRY_POINT_GROUPS } from '@oslo-messaging/core/spi';
import { report, sleep, timed, waitForCommand } from '@oslo-messaging/testkit/scenario';

const [mode, url] = process.argv.slice(2);
// To check a test against another build of the driver (e.g. the code before a fix).
if (process.env.AMQP1_DRIVER_MODULE)
  registerPlugin(ENTRY_POINT_GROUPS.drivers, 'amqp', (await import(process.env.AMQP1_DRIVER_MODULE)).amqp1Driver);

/** Seconds: every call's timeout, shorter than any outage the parent stages. */
const CALL_TIMEOUT = 1.5;
const logger = {
  debug() {},
  info() {},
  warn: (m) => report('log', { level: 'warn', m: String(m).slice(0, 200) }),
  error: (m) => report('log', { level: 'error', m: String(m).slice(0, 200) }),
};
// Fast reconnects; idle_timeout so a frozen broker is noticed (only heartbeats can tell); casts and
// notifications wait for the broker's accept (pre-settled ones cannot be confirmed).
const driverOptions = {
  connection_retry_interval: 1,
  connection_retry_interval_max: 1,
  link_retry_delay: 1,
  idle_timeout: 1,
  default_send_timeout: 5,
  default_notify_timeout: 5,
  pre_settled: ['rpc-reply'],
};
const uniq = (p) => `${p}_${Math.random().toString(36).slice(2, 10)}`;
/** Nothing may stay pending this long: a hang is reported, not waited for. */
const bounded = (p, ms, what) => {
  let timer;
  const hung = new Promise(
    (resolve) => (timer = setTimeout(() => resolve({ ok: false, error: { name: 'StillPending' }, hung: what }), ms)),
  );
  return Promise.race([p, hung]).finally(() => clearTimeout(timer));
};

async function world(topic) {
  const received = new Set();
  const notified = new Set();
  const rpc = await getRpcTransport({ url, logger, driverOptions });
  const notifications = await getNotificationTransport({ url, logger, driverOptions });
  const server = getRpcServer(rpc, { topic, server: 's1' }, [
    {
      ping: (_c, { n }) => n,
      record: (_c, { n }) => void received.add(n),
      slow: async (_c, { ms }) => (await sleep(ms), ms),
    },
  ]);
  const listener = getNotificationListener(
    notifications,
    [{ topic }],
    [{ info: (_c, _p, _e, payload) => void notified.add(payload.n) }],
  );
  const client = getRpcClient(rpc, { topic }, { timeout: CALL_TIMEOUT });
  const caster = getRpcClient(rpc, { topic }); // no timeout, retry unset: retried until cleanup
  const notifier = new Notifier(notifications, { publisherId: 'scenario', topics: [topic] }); // retry unset
  const confirmedCasts = [];
  const confirmedNotes = [];
  const cast = (n, c = caster, op = 'cast', limit) =>
    timed(op, limit, () => c.cast({}, 'record', { n })).then((r) => (r.ok && confirmedCasts.push(n), r));
  const note = (n) =>
    timed('notify', undefined, () => notifier.info({}, 'scenario.event', { n })).then(
      (r) => (r.ok && confirmedNotes.push(n), r),
    );
  const call = (n, op = 'call') => timed(op, CALL_TIMEOUT, () => client.call({}, 'ping', { n }));
  return {
    rpc,
    notifications,
    server,
    listener,
    client,
    caster,
    notifier,
    received,
    notified,
    confirmedCasts,
    confirmedNotes,
    cast,
    note,
    call,
  };
}

/** The deadline-bound operations of an outage: they must all settle by their own deadlines. */
async function deadlineOps(w, tag) {
  const timedCaster = w.client; // timeout CALL_TIMEOUT: a cast given a timeout settles by it
  const limited = getRpcClient(w.rpc, { topic: w.topic }, { retry: 1 }); // 1 retry: bounded by default_send_timeout
  const ops = await Promise.all([
    w.call(1, `${tag}:call`),
    w.call(2, `${tag}:call`),
    timed(`${tag}:cast-timeout`, CALL_TIMEOUT, () => timedCaster.cast({}, 'record', { n: -1 })),
    timed(`${tag}:cast-retry1`, driverOptions.default_send_timeout, () => limited.cast({}, 'record', { n: -2 })),
    timed(`${tag}:call-nobody`, CALL_TIMEOUT, () =>
      getRpcClient(w.rpc, { topic: uniq('nobody') }, { timeout: CALL_TIMEOUT }).call({}, 'ping', { n: 0 }),
    ),
  ]);
  report('deadline-ops-settled', { tag, outcomes: ops.map((o) => (o.ok ? 'ok' : o.error?.name)) });
}

/** Polls a call until the server answers again (same objects): the recovery time. */
async function recover(w, tag, withinMs = 30_000) {
  const began = Date.now();
  for (let i = 0; Date.now() - began < withinMs; i++) {
    const r = await w.call(1000 + i, `${tag}:probe`);
    if (r.ok) return report('recovered', { tag, afterMs: Date.now() - began });
    await sleep(200);
  }
  report('not-recovered', { tag });
}

/** Waits (bounded) until every confirmed cast and notification has reached the server / listener. */
async function checkNothingLost(w, tag) {
  const began = Date.now();
  const lost = () => ({
    casts: w.confirmedCasts.filter((n) => !w.received.has(n)),
    notes: w.confirmedNotes.filter((n) => !w.notified.has(n)),
  });
  while ((lost().casts.length > 0 || lost().notes.length > 0) && Date.now() - began < 10_000) await sleep(100);
  report('delivery', {
    tag,
    confirmedCasts: w.confirmedCasts.length,
    confirmedNotes: w.confirmedNotes.length,
    ...lost(),
  });
}

/** Cleans up with operations pending (the broker down or frozen): everything ends promptly, typed. */
async function shutdownWithPending(w, tag) {
  const pending = [
    w.cast(9001, w.caster, `${tag}:pending-cast`),
    timed(`${tag}:pending-call`, 30, () =>
      getRpcClient(w.rpc, { topic: w.topic }, { timeout: 30 }).call({}, 'ping', { n: 1 }),
    ),
    timed(`${tag}:pending-notify`, undefined, () => w.notifier.info({}, 'scenario.event', { n: 9002 })),
  ];
  await sleep(300);
  await timed(`${tag}:shutdown`, 5, async () => {
    await w.server.stop();
    await w.server.wait();
    await w.listener.stop();
    await w.listener.wait();
    await w.rpc.cleanup();
    await w.notifications.cleanup();
  });
  const outcomes = await Promise.all(pending.map((p, i) => bounded(p, 3000, i)));
  report('pending-after-cleanup', { tag, outcomes: outcomes.map((o) => (o.ok ? 'ok' : (o.error?.name ?? o.hung))) });
}

async function faultMode() {
  const topic = uniq('faults');
  const w = { ...(await world(topic)), topic };
  await w.server.start();
  await w.listener.start();
  if (!(await w.call(0, 'baseline')).ok) throw new Error('no baseline call');
  for (let n = 1; n <= 5; n++) await w.cast(n);
  await w.note(1);
  // A broker that dies loses what it accepted and did not deliver yet (it keeps nothing on disk): fault only
  // once these arrived, so that a loss the check below finds is the driver's.
  for (let i = 0; i < 100 && !(w.confirmedCasts.every((n) => w.received.has(n)) && w.notified.has(1)); i++)
    await sleep(20);
  // In flight when the broker goes: the server answers after the fault, the call must still settle by its deadline.
  const inflight = timed('outage:inflight-call', CALL_TIMEOUT, () => w.client.call({}, 'slow', { ms: 700 }));
  await sleep(100);
  report('ready');

  await waitForCommand('fault');
  report('fault-seen');
  // Retried until the broker is back: confirmed only once it accepted them.
  const forever = [w.cast(100), w.cast(101), w.note(100)];
  await deadlineOps(w, 'outage');
  await inflight;
  await waitForCommand('restored');
  await recover(w, 'outage');
  const settled = await Promise.all(forever.map((p) => bounded(p, 20_000, 'forever')));
  report('forever-settled', { outcomes: settled.map((o) => (o.ok ? 'ok' : (o.error?.name ?? o.hung))) });
  for (let n = 200; n < 205; n++) await w.cast(n);
  await w.note(200);
  await checkNothingLost(w, 'outage');
  for (let i = 0; i < 100 && !w.confirmedCasts.every((n) => w.received.has(n)); i++) await sleep(20);
  // The server is busy with this call when the broker goes: server.wait() waits for it, not for its reply.
  const busy = timed('outage2:busy-call', 5, () =>
    getRpcClient(w.rpc, { topic }, { timeout: 5 }).call({}, 'slow', { ms: 800 }),
  );
  await sleep(100);
  report('phase2-ready');

  await waitForCommand('fault2');
  await shutdownWithPending(w, 'outage2');
  await busy;
  report('done');
}

async function downAtStartMode() {
  const topic = uniq('down');
  const w = { ...(await world(topic)), topic };
  // Both wait for the connection (as oslo's listen does); they complete once the broker is up.
  const started = Promise.all([w.server.start(), w.listener.start()]);
  started.catch(() => undefined);
  const forever = [w.cast(100), w.note(100)];
  await deadlineOps(w, 'down');
  report('deadline-done');
  await waitForCommand('restored');
  await timed('down:servers-started', undefined, () => bounded(started, 20_000, 'start'));
  await recover(w, 'down');
  const settled = await Promise.all(forever.map((p) => bounded(p, 20_000, 'forever')));
  report('forever-settled', { outcomes: settled.map((o) => (o.ok ? 'ok' : (o.error?.name ?? o.hung))) });
  await checkNothingLost(w, 'down');
  await waitForCommand('fault2');
  await shutdownWithPending(w, 'down2');
  report('done');
}

async function noCreditMode() {
  const topic = uniq('credited');
  const w = { ...(await world(topic)), topic };
  await w.server.start();
  const ok = await w.call(0, 'baseline'); // replies flow: only sends to "nocredit" addresses lack credit
  report('baseline', { ok: ok.ok });
  const starved = getRpcClient(w.rpc, { topic: uniq('nocredit_target') }, { timeout: CALL_TIMEOUT });
  const limited = getRpcClient(w.rpc, { topic: uniq('nocredit_target') }, { retry: 0 });
  const forever = getRpcClient(w.rpc, { topic: uniq('nocredit_target') });
  const pendingForever = timed('nocredit:cast-forever', undefined, () => forever.cast({}, 'record', { n: 1 }));
  const ops = await Promise.all([
    timed('nocredit:call', CALL_TIMEOUT, () => starved.call({}, 'ping', { n: 1 })),
    timed('nocredit:cast-timeout', CALL_TIMEOUT, () => starved.cast({}, 'record', { n: 1 })),
    timed('nocredit:cast-retry0', driverOptions.default_send_timeout, () => limited.cast({}, 'record', { n: 1 })),
  ]);
  report('deadline-ops-settled', { tag: 'nocredit', outcomes: ops.map((o) => (o.ok ? 'ok' : o.error?.name)) });
  // The connection is fine: other addresses still work.
  report('still-serving', { ok: (await w.call(2, 'nocredit:other')).ok });
  await timed('nocredit:shutdown', 5, async () => {
    await w.server.stop();
    await w.server.wait();
    await w.rpc.cleanup();
    await w.notifications.cleanup();
  });
  const o = await bounded(pendingForever, 3000, 'forever');
  report('pending-after-cleanup', { tag: 'nocredit', outcomes: [o.ok ? 'ok' : (o.error?.name ?? o.hung)] });
  report('done');
}

async function reconnectLoopMode() {
  const sockets = new Set();
  const listen = (onSocket) =>
    new Promise((resolve) => {
      const s = createServer(
        (sock) => (
          sockets.add(sock),
          sock.on('error', () => undefined),
          sock.on('close', () => sockets.delete(sock)),
          onSocket(sock)
        ),
      );
      s.listen(0, '127.0.0.1', () => resolve(s));
    });
  const hangUp = await listen((sock) => sock.destroy()); // accepts, then hangs up at once: rhea reconnects in a loop
  const blackHole = await listen(() => undefined); // accepts and never answers (a frozen broker at connect)
  for (const [tag, server, idle] of [
    ['hangup', hangUp, 0],
    ['blackhole', blackHole, 1],
  ]) {
    const u = `amqp://127.0.0.1:${server.address().port}/`;
    const t = await getRpcTransport({ url: u, logger, driverOptions: { ...driverOptions, idle_timeout: idle } });
    const topic = uniq(tag);
    const forever = timed(`${tag}:cast-forever`, undefined, () => getRpcClient(t, { topic }).cast({}, 'x'));
    const ops = await Promise.all([
      timed(`${tag}:call`, CALL_TIMEOUT, () => getRpcClient(t, { topic }, { timeout: CALL_TIMEOUT }).call({}, 'x')),
      timed(`${tag}:cast-timeout`, CALL_TIMEOUT, () =>
        getRpcClient(t, { topic }, { timeout: CALL_TIMEOUT }).cast({}, 'x'),
      ),
      timed(`${tag}:cast-retry2`, driverOptions.default_send_timeout, () =>
        getRpcClient(t, { topic }, { retry: 2 }).cast({}, 'x'),
      ),
    ]);
    report('deadline-ops-settled', { tag, outcomes: ops.map((o) => (o.ok ? 'ok' : o.error?.name)) });
    const srv = getRpcServer(t, { topic, server: 's' }, [{ x: () => 1 }]);
    const starting = srv.start();
    starting.catch(() => undefined);
    await sleep(200);
    await timed(`${tag}:shutdown`, 5, async () => {
      await srv.stop();
      await srv.wait();
      await t.cleanup();
    });
    const o = await bounded(forever, 3000, 'forever');
    const s = await bounded(
      starting.then(
        () => ({ ok: true }),
        (error) => ({ ok: false, error }),
      ),
      3000,
      'start',
    );
    report('pending-after-cleanup', {
      tag,
      outcomes: [o.ok ? 'ok' : (o.error?.name ?? o.hung)],
      serverStart: s.ok ? 'ok' : (s.error?.name ?? s.hung),
    });
  }
  hangUp.close();
  blackHole.close();
  for (const sock of sockets) sock.destroy();
  report('done');
}

const modes = {
  fault: faultMode,
  'down-at-start': downAtStartMode,
  'no-credit': noCreditMode,
  'reconnect-loop': reconnectLoopMode,
};
await modes[mode]();
