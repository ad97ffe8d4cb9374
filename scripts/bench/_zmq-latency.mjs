#!/usr/bin/env node
// Where a sequential ZeroMQ round trip goes (the README's "Why sequential calls are slower than
// Moleculer TCP"): `node scripts/bench/_zmq-latency.mjs [--json]`. Measures, alternating in one run,
// sequential round trips/s and CPU µs per round trip (process.cpuUsage: every thread, libzmq's I/O
// thread included) of:
//   - a plain `net` ping-pong in this process (the floor for anything on Node's event loop),
//   - Moleculer 0.14's TCP transporter (a real call), our driver (a real call),
//   - raw zeromq.js DEALER/ROUTER as the bench does it, then minimal zeromq.js ping-pongs (one 100-byte
//     frame) with the knobs zeromq.js offers: `for await` vs `receive()` loops, sendTimeout 0 (no
//     ZMQ_EVENTS check per send), our socket options, two I/O threads,
//   - libzmq itself without Node (scripts/bench/zmq-rtt.c, compiled here against the system's libzmq
//     when gcc and libzmq.so.5 are present) and a blocking TCP ping-pong in C (the kernel's floor).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Context, Dealer, Router } from 'zeromq';
import { measure } from './_fake-setups.mjs';
import { moleculerSetup, oursSetup, rawSetup } from './_zmq-setups.mjs';

const CALLS = Number(process.env.OSLO_BENCH_ZMQ_RTT_CALLS ?? 5000);
const ROUNDS = Number(process.env.OSLO_BENCH_ZMQ_RTT_ROUNDS ?? 3);
const PAYLOAD = Buffer.alloc(100, 'x');

/** A `net` ping-pong: the client writes 100 bytes, the server echoes them, the client waits for all 100. */
async function netSetup() {
  const server = createServer((s) => {
    s.setNoDelay(true);
    s.on('data', (d) => s.write(d));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const client = connect(server.address().port, '127.0.0.1');
  client.setNoDelay(true);
  await new Promise((r) => client.once('connect', r));
  let got = 0;
  let done;
  client.on('data', (d) => {
    got += d.length;
    if (got >= PAYLOAD.length) ((got -= PAYLOAD.length), done());
  });
  return {
    call: () => new Promise((r) => ((done = r), client.write(PAYLOAD))),
    close: async () => {
      client.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A minimal zeromq.js ping-pong: one 100-byte frame each way, the ROUTER echoing it. */
async function zmqSetup({ loop = 'for-await', sendTimeout, ours = false, ioThreads } = {}) {
  const context = ioThreads ? new Context({ ioThreads }) : undefined;
  const common = { ...(context ? { context } : {}), ...(sendTimeout !== undefined ? { sendTimeout } : {}) };
  const router = new Router({
    ...common,
    ...(ours ? { mandatory: true, handover: true, linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 } : {}),
  });
  await router.bind('tcp://127.0.0.1:*');
  const dealer = new Dealer({
    ...common,
    ...(ours
      ? { immediate: true, linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0, routingId: 'oz-bench' }
      : {}),
  });
  dealer.connect(router.lastEndpoint);
  let done;
  if (loop === 'for-await') {
    void (async () => {
      for await (const [id, body] of router) await router.send([id, body]);
    })().catch(() => undefined);
    void (async () => {
      for await (const [body] of dealer) done(body);
    })().catch(() => undefined);
  } else {
    void (async () => {
      for (;;) {
        const [id, body] = await router.receive();
        await router.send([id, body]);
      }
    })().catch(() => undefined);
    void (async () => {
      for (;;) {
        const [body] = await dealer.receive();
        done(body);
      }
    })().catch(() => undefined);
  }
  return {
    call: () => new Promise((r) => ((done = r), void dealer.send(PAYLOAD))),
    close: async () => {
      dealer.close();
      router.close();
    },
  };
}

/** libzmq and TCP without Node, from scripts/bench/zmq-rtt.c; undefined when it cannot be built here. */
function native() {
  const lib = [
    '/usr/lib/x86_64-linux-gnu/libzmq.so.5',
    '/usr/lib/aarch64-linux-gnu/libzmq.so.5',
    '/usr/lib/libzmq.so.5',
  ].find((f) => existsSync(f));
  if (!lib) return undefined;
  const exe = join(tmpdir(), `zmq-rtt-${process.pid}`);
  try {
    execFileSync('gcc', ['-O2', '-w', '-o', exe, fileURLToPath(new URL('./zmq-rtt.c', import.meta.url)), lib]);
  } catch {
    return undefined;
  }
  const run = (...args) => JSON.parse(execFileSync(exe, args.map(String), { encoding: 'utf8' }).trim());
  const best = (...args) => {
    let b;
    for (let i = 0; i < ROUNDS; i++) {
      const r = run(...args);
      b = b
        ? {
            ...b,
            perSecond: Math.max(b.perSecond, r.perSecond),
            cpuUsPerRoundTrip: Math.min(b.cpuUsPerRoundTrip, r.cpuUsPerRoundTrip),
          }
        : r;
    }
    return b;
  };
  return {
    libzmq: best('zmq', CALLS * 4, 100),
    libzmq2: best('zmq', CALLS * 4, 100, 2),
    tcp: best('tcp', CALLS * 10, 100),
    lib,
  };
}

const VARIANTS = [
  ['net ping-pong (Node, one process)', netSetup],
  ['Moleculer 0.14 TCP transporter, call', moleculerSetup],
  ['driver-zmq, call', oursSetup],
  ['raw zeromq.js as in the bench (3 frames, JSON, ids)', rawSetup],
  ['zeromq.js minimal, `for await` loops', () => zmqSetup()],
  ['zeromq.js minimal, `receive()` loops', () => zmqSetup({ loop: 'receive' })],
  ['zeromq.js minimal, sendTimeout 0', () => zmqSetup({ sendTimeout: 0 })],
  ['zeromq.js minimal, our socket options', () => zmqSetup({ ours: true, sendTimeout: 1000 })],
  ['zeromq.js minimal, 2 I/O threads', () => zmqSetup({ ioThreads: 2 })],
];

const sides = [];
for (const [label, setup] of VARIANTS) {
  const s = await setup();
  await measure(s.call, 1, 2000); // warm-up (sequential only: the ping-pongs carry one call at a time)
  sides.push({ label, s, best: undefined });
}
for (let i = 0; i < ROUNDS; i++) {
  for (const side of sides) {
    const r = await measure(side.s.call, 1, CALLS);
    const b = side.best;
    side.best = b
      ? { rate: Math.max(b.rate, r.rate), cpuUs: Math.min(b.cpuUs, r.cpuUs), p50: Math.min(b.p50, r.p50) }
      : r;
  }
}
for (const side of sides) await side.s.close();
const c = native();
const rows = sides.map(({ label, best }) => ({ label, rate: best.rate, cpuUs: best.cpuUs, p50us: best.p50 * 1000 }));
if (c) {
  rows.push({
    label: `libzmq ${'DEALER/ROUTER'} in C, no Node (1 I/O thread)`,
    rate: c.libzmq.perSecond,
    cpuUs: c.libzmq.cpuUsPerRoundTrip,
  });
  rows.push({
    label: 'libzmq DEALER/ROUTER in C, 2 I/O threads',
    rate: c.libzmq2.perSecond,
    cpuUs: c.libzmq2.cpuUsPerRoundTrip,
  });
  rows.push({
    label: 'TCP ping-pong in C (blocking, one thread)',
    rate: c.tcp.perSecond,
    cpuUs: c.tcp.cpuUsPerRoundTrip,
  });
}
if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
process.stdout.write(
  `Sequential round trips, 100-byte payload, loopback, best of ${ROUNDS} alternating rounds (${new Date().toISOString().slice(0, 10)}, node ${process.version}${c ? `, ${c.lib}` : ', no C build'}):\n\n`,
);
process.stdout.write('| round trip | per second | µs each | CPU µs each |\n|---|---|---|---|\n');
for (const r of rows)
  process.stdout.write(
    `| ${r.label} | ${Math.round(r.rate).toLocaleString('en-US')} | ${(1e6 / r.rate).toFixed(0)} | ${r.cpuUs.toFixed(0)} |\n`,
  );
process.exit(0);
