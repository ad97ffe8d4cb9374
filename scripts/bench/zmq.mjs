// ZeroMQ over loopback: driver-zmq (servers found through Redis) against raw zeromq.js DEALER/ROUTER
// doing the same round trip by hand and Moleculer 0.14's TCP transporter, all in this run (see
// _zmq-setups.mjs). Sequential and 10-caller rows alternate the three sides round by round (best
// round of each kept: rate, CPU, p50 and p99 separately); CPU µs per call is process.cpuUsage (every
// thread, so libzmq's I/O thread is counted) of client and server together; bytes allocated per call
// come from a child process per side (_zmq-child.mjs). Prints a Markdown block for the driver's README
// (`--update-readme` writes it between the bench markers of packages/driver-zmq/README.md).
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { measure, warmUp } from './_fake-setups.mjs';
import { alternate, drive, endToEnd } from './_measure.mjs';
import { moleculerSetup, oursSetup, rawSetup } from './_zmq-setups.mjs';

export const name = 'zmq';
export const description =
  'ZeroMQ over loopback (Redis matchmaker): driver-zmq vs raw zeromq.js DEALER/ROUTER vs Moleculer 0.14 TCP';

const RAW = 'raw zeromq.js';
const MOL = 'Moleculer TCP';
const SEQ_CALLS = Number(process.env.OSLO_BENCH_ZMQ_SEQ_CALLS ?? 4000);
const C10_CALLS = Number(process.env.OSLO_BENCH_ZMQ_C10_CALLS ?? 12000);
const ROUNDS = Number(process.env.OSLO_BENCH_ZMQ_ROUNDS ?? 3);
const ALLOC_CALLS = 2000;
const CHILD = fileURLToPath(new URL('./_zmq-child.mjs', import.meta.url));
const README = fileURLToPath(new URL('../../packages/driver-zmq/README.md', import.meta.url));
const MARK = ['<!-- bench:zmq:start (npm run bench -- zmq --update-readme) -->', '<!-- bench:zmq:end -->'];

/** Best of `ROUNDS` rounds per side, the sides taking turns: highest rate, lowest CPU per call, lowest p50/p99. */
async function rounds(sides, concurrency, calls) {
  const best = {};
  for (let i = 0; i < ROUNDS; i++) {
    for (const [side, s] of Object.entries(sides)) {
      const r = await measure(s.call, concurrency, calls);
      const b = best[side];
      best[side] = b
        ? {
            rate: Math.max(b.rate, r.rate),
            cpuUs: Math.min(b.cpuUs, r.cpuUs),
            p50: Math.min(b.p50, r.p50),
            p99: Math.min(b.p99, r.p99),
          }
        : r;
    }
  }
  return best;
}

/** Bytes allocated per call (JS heap, client and server together) of one side alone in a child process. */
async function allocated(side, concurrency) {
  const args = [
    '--expose-gc',
    '--min-semi-space-size=128',
    '--max-semi-space-size=128',
    CHILD,
    side,
    String(concurrency),
    String(ALLOC_CALLS),
  ];
  const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 120_000 });
  const r = JSON.parse(stdout.trim().split('\n').pop());
  return { bytes: r.bytesPerCall, exact: r.gcs === 0 };
}

const ms = (v) => (v >= 10 ? v.toFixed(1) : v.toFixed(2));
const n0 = (v) => Math.round(v).toLocaleString('en-US');
const ratio = (a, b) => (b ? (a / b).toFixed(2) : '–');

/** The Markdown table of a run, for the README. */
function markdown(r, alloc, when) {
  const lines = [
    `One run (${when.toISOString().slice(0, 10)}, node ${process.version}, loopback, 100-byte payload, ${ROUNDS} alternating rounds, best of each side):`,
    '',
    `| row | ours | ${RAW} | ${MOL} | ours/raw | ours/Moleculer |`,
    '|---|---|---|---|---|---|',
  ];
  for (const [label, x] of [
    ['sequential calls', r.seq],
    ['calls, 10 concurrent callers', r.c10],
  ]) {
    lines.push(
      `| ${label} (calls/s) | ${n0(x.ours.rate)} | ${n0(x.raw.rate)} | ${n0(x.moleculer.rate)} | ${ratio(x.ours.rate, x.raw.rate)} | ${ratio(x.ours.rate, x.moleculer.rate)} |`,
    );
    lines.push(
      `| ${label}: p50 / p99 (ms) | ${ms(x.ours.p50)} / ${ms(x.ours.p99)} | ${ms(x.raw.p50)} / ${ms(x.raw.p99)} | ${ms(x.moleculer.p50)} / ${ms(x.moleculer.p99)} | p99 ${ratio(x.ours.p99, x.raw.p99)} | |`,
    );
    lines.push(
      `| ${label}: CPU (µs/call) | ${n0(x.ours.cpuUs)} | ${n0(x.raw.cpuUs)} | ${n0(x.moleculer.cpuUs)} | ${ratio(x.ours.cpuUs, x.raw.cpuUs)} | ${ratio(x.ours.cpuUs, x.moleculer.cpuUs)} |`,
    );
    const c = label.startsWith('seq') ? 1 : 10;
    lines.push(
      `| ${label}: allocated (bytes/call) | ${n0(alloc.ours[c].bytes)} | ${n0(alloc.raw[c].bytes)} | ${n0(alloc.moleculer[c].bytes)} | ${ratio(alloc.ours[c].bytes, alloc.raw[c].bytes)} | ${ratio(alloc.ours[c].bytes, alloc.moleculer[c].bytes)} |`,
    );
  }
  lines.push(
    `| calls, 100 concurrent callers (calls/s) | ${n0(r.c100.ours.rate)} | ${n0(r.c100.raw.rate)} | – | ${ratio(r.c100.ours.rate, r.c100.raw.rate)} | |`,
  );
  lines.push(
    `| acknowledged casts end-to-end (msgs/s) | ${n0(r.cast.ours.rate)} | ${n0(r.cast.raw.rate)} | – | ${ratio(r.cast.ours.rate, r.cast.raw.rate)} | |`,
  );
  return lines.join('\n');
}

export async function run({ log }) {
  const sides = { ours: await oursSetup(), raw: await rawSetup(), moleculer: await moleculerSetup() };
  for (const s of Object.values(sides)) await warmUp(s.call);
  const seq = await rounds(sides, 1, SEQ_CALLS);
  const c10 = await rounds(sides, 10, C10_CALLS);
  await sides.moleculer.close();
  const { ours: o, raw: w } = sides;
  const c100 = await alternate(
    () => drive(o.call, 100),
    () => drive(w.call, 100),
  );
  const cast = await alternate(
    async () => ({ rate: await endToEnd(o.cast, o.casts) }),
    async () => ({ rate: await endToEnd(w.cast, w.casts) }),
  );
  await o.close();
  await w.close();
  const alloc = { ours: {}, raw: {}, moleculer: {} };
  for (const side of Object.keys(alloc)) for (const c of [1, 10]) alloc[side][c] = await allocated(side, c);
  if (Object.values(alloc).some((a) => !a[1].exact || !a[10].exact))
    log('a GC ran inside an allocation window: bytes/call there are a lower bound');

  const lat = (x) => ({ p50_ms: +x.p50.toFixed(3), p99_ms: +x.p99.toFixed(3) });
  const rows = [];
  for (const [label, x, c] of [
    ['sequential call', seq, 1],
    ['calls, 10 concurrent callers', c10, 10],
  ]) {
    rows.push({
      row: label,
      unit: 'calls/s',
      ours: x.ours.rate,
      anchors: { [RAW]: x.raw.rate, [MOL]: x.moleculer.rate },
      extra: { ours: lat(x.ours), raw: lat(x.raw), moleculer: lat(x.moleculer) },
    });
    rows.push({
      row: `${label}: p99 latency`,
      unit: 'ms',
      lowerIsBetter: true,
      ours: x.ours.p99,
      anchors: { [RAW]: x.raw.p99, [MOL]: x.moleculer.p99 },
    });
    rows.push({
      row: `${label}: CPU`,
      unit: 'µs/call',
      lowerIsBetter: true,
      ours: x.ours.cpuUs,
      anchors: { [RAW]: x.raw.cpuUs, [MOL]: x.moleculer.cpuUs },
    });
    rows.push({
      row: `${label}: allocated`,
      unit: 'bytes/call',
      lowerIsBetter: true,
      ours: alloc.ours[c].bytes,
      anchors: { [RAW]: alloc.raw[c].bytes, [MOL]: alloc.moleculer[c].bytes },
    });
  }
  rows.push({
    row: 'calls, 100 concurrent callers',
    unit: 'calls/s',
    ours: c100.ours.rate,
    anchors: { [RAW]: c100.raw.rate },
    extra: { ours: lat(c100.ours), raw: lat(c100.raw) },
  });
  rows.push({
    row: 'acknowledged cast end-to-end',
    unit: 'msgs/s',
    ours: cast.ours.rate,
    anchors: { [RAW]: cast.raw.rate },
  });

  const block = markdown({ seq, c10, c100, cast }, alloc, new Date());
  log(`README block (packages/driver-zmq/README.md, between the bench markers):\n${MARK[0]}\n${block}\n${MARK[1]}`);
  if (process.argv.includes('--update-readme')) {
    const text = readFileSync(README, 'utf8');
    const [a, b] = [text.indexOf(MARK[0]), text.indexOf(MARK[1])];
    if (a < 0 || b < a) log(`no bench markers in ${README}: not updated`);
    else
      (writeFileSync(README, `${text.slice(0, a + MARK[0].length)}\n${block}\n${text.slice(b)}`),
        log(`updated ${README}`));
  }
  return rows;
}
