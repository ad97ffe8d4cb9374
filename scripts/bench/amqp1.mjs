// AMQP 1.0 through RabbitMQ's AMQP 1.0 plugin (rabbitmq_amqp1_0 on 5672): driver-amqp1 against raw rhea
// doing the same work by hand (see rawSetup in _amqp1-setups.mjs: same addresses and reply queue, same
// settlement, bodies and credit), measured in this run. Rates are noisy on this shared machine; the
// CPU µs per call (process.cpuUsage of the process, which holds both client and server of a side) and
// the bytes allocated per call (exact, in a child process whose young generation never collects during
// the window, see _amqp1-child.mjs) are the steadier figures. Each side keeps its best of ROUNDS rounds,
// the two sides alternating. `--readme` also rewrites the figures in packages/driver-amqp1/README.md.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { keepBest, SECONDS } from './_measure.mjs';
import { measure, oursSetup, rawSetup } from './_amqp1-setups.mjs';

export const name = 'amqp1';
export const description =
  'AMQP 1.0 via RabbitMQ 127.0.0.1:5672 (rabbitmq addressing): driver-amqp1 vs raw rhea, 100-byte payload';

const ANCHOR = 'raw rhea';
const ROUNDS = Number(process.env.OSLO_BENCH_AMQP1_ROUNDS ?? 6);
/** Cast rounds last OSLO_BENCH_SECONDS each. */
const CAST_ROUNDS = 3;
/** Calls per round at each concurrency (under a second each on this machine: many short alternated rounds ride out bursts of load better). */
const CALLS = {
  1: Number(process.env.OSLO_BENCH_AMQP1_SEQ_CALLS ?? 1000),
  10: Number(process.env.OSLO_BENCH_AMQP1_C10_CALLS ?? 3000),
  100: Number(process.env.OSLO_BENCH_AMQP1_C100_CALLS ?? 6000),
};
/** Calls per allocation window: few enough that no GC runs in it (sequential calls read many small socket chunks, whose buffers trigger one sooner). */
const ALLOC_CALLS = { 1: 500, 10: 1500, 100: 1500 };
const CHILD = fileURLToPath(new URL('./_amqp1-child.mjs', import.meta.url));
const README = fileURLToPath(new URL('../../packages/driver-amqp1/README.md', import.meta.url));
const LABEL = { 1: 'sequential call', 10: 'calls, 10 concurrent callers', 100: 'calls, 100 concurrent callers' };

/** Best of `ROUNDS` alternated rounds per side: highest rate, lowest CPU per call, lowest p50/p99. */
async function rounds(o, w, concurrency) {
  const best = { ours: undefined, raw: undefined };
  const keep = (side, r) => (best[side] = keepBest(best[side], r));
  for (let i = 0; i < ROUNDS; i++) {
    keep('ours', await measure(o.call, concurrency, CALLS[concurrency]));
    keep('raw', await measure(w.call, concurrency, CALLS[concurrency]));
  }
  return best;
}

/** Casts sent and handled per second (pre-settled, a window of 200 in flight) and CPU µs per cast. */
async function casts(side) {
  let sent = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const deadline = start + SECONDS * 1000;
  const base = side.casts();
  while (performance.now() < deadline) {
    const batch = [];
    for (let i = 0; i < 200; i++) (batch.push(side.cast()), sent++);
    await Promise.all(batch);
    while (side.casts() - base < sent - 200) await new Promise((r) => setImmediate(r));
  }
  while (side.casts() - base < sent) await new Promise((r) => setTimeout(r, 1));
  const cpu = process.cpuUsage(cpu0);
  return { rate: sent / ((performance.now() - start) / 1000), cpuUs: (cpu.user + cpu.system) / sent };
}

/** Bytes allocated per call, from a child process of the side alone (see _amqp1-child.mjs); tried again when a GC spoilt the window. */
async function allocated(side, concurrency) {
  let r;
  for (let attempt = 0; attempt < 3 && !(r?.gcs === 0); attempt++) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--expose-gc',
        '--min-semi-space-size=256',
        '--max-semi-space-size=256',
        CHILD,
        side,
        String(concurrency),
        String(ALLOC_CALLS[concurrency]),
      ],
      { timeout: 120_000 },
    );
    r = JSON.parse(stdout.trim().split('\n').pop());
  }
  return { bytes: r.bytesPerCall, exact: r.gcs === 0 };
}

const n = (v) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1));
const ms = (v) => (v >= 10 ? v.toFixed(0) : v.toFixed(2));
const pct = (o, a) => `${Math.round((100 * o) / a)}%`;

/** The README block: one table of every row, and where it came from. */
function readmeBlock(r, castR, alloc, when, broker) {
  const lines = [
    `One run (${when}, ${broker} on loopback, node ${process.version}, 100-byte payload, best of ${ROUNDS} alternated rounds (casts: ${CAST_ROUNDS}); CPU is the whole process: client, server and rhea):`,
    '',
    '| row | ours | raw rhea | ours/raw |',
    '|---|---|---|---|',
  ];
  for (const c of [1, 10, 100]) {
    const { ours, raw } = r[c];
    lines.push(
      `| ${LABEL[c]} | ${n(ours.rate)} calls/s (p50 ${ms(ours.p50)} ms, p99 ${ms(ours.p99)} ms) | ${n(raw.rate)} (p50 ${ms(raw.p50)} ms, p99 ${ms(raw.p99)} ms) | ${pct(ours.rate, raw.rate)} |`,
    );
    lines.push(
      `| ${LABEL[c]}: CPU | ${n(ours.cpuUs)} µs/call | ${n(raw.cpuUs)} | ${pct(ours.cpuUs, raw.cpuUs)} (lower is better) |`,
    );
    lines.push(
      `| ${LABEL[c]}: allocated | ${n(alloc[`ours${c}`].bytes)} bytes/call | ${n(alloc[`raw${c}`].bytes)} | ${pct(alloc[`ours${c}`].bytes, alloc[`raw${c}`].bytes)} (lower is better) |`,
    );
  }
  lines.push(
    `| cast end-to-end (pre-settled) | ${n(castR.ours.rate)} msgs/s, ${n(castR.ours.cpuUs)} µs/msg | ${n(castR.raw.rate)}, ${n(castR.raw.cpuUs)} µs/msg | ${pct(castR.ours.rate, castR.raw.rate)} |`,
  );
  return lines.join('\n');
}

const START = '<!-- bench:amqp1:start (npm run bench -- amqp1 --readme rewrites this block) -->';
const END = '<!-- bench:amqp1:end -->';

export async function run({ log }) {
  const o = await oursSetup();
  const w = await rawSetup();
  for (const side of [o, w]) for (const c of [1, 10, 100]) await measure(side.call, c, 1000);
  const r = {};
  for (const c of [1, 10, 100]) r[c] = await rounds(o, w, c);
  const castR = { ours: undefined, raw: undefined };
  for (let i = 0; i < CAST_ROUNDS; i++) {
    for (const [k, side] of [
      ['ours', o],
      ['raw', w],
    ]) {
      const m = await casts(side);
      const b = castR[k];
      castR[k] = b ? { rate: Math.max(b.rate, m.rate), cpuUs: Math.min(b.cpuUs, m.cpuUs) } : m;
    }
  }
  await o.close();
  await w.close();
  const alloc = {};
  for (const side of ['ours', 'raw']) for (const c of [1, 10, 100]) alloc[`${side}${c}`] = await allocated(side, c);
  if (Object.values(alloc).some((a) => !a.exact))
    log('a GC ran inside an allocation window: bytes/call there are not exact');
  const lat = (x) => ({ p50_ms: +x.p50.toFixed(2), p99_ms: +x.p99.toFixed(2) });
  const rows = [];
  for (const c of [1, 10, 100]) {
    const { ours, raw } = r[c];
    rows.push({
      row: LABEL[c],
      unit: 'calls/s',
      ours: ours.rate,
      anchors: { [ANCHOR]: raw.rate },
      extra: { ours: lat(ours), raw: lat(raw) },
    });
    rows.push({
      row: `${LABEL[c]}: CPU`,
      unit: 'µs/call',
      lowerIsBetter: true,
      ours: ours.cpuUs,
      anchors: { [ANCHOR]: raw.cpuUs },
    });
    rows.push({
      row: `${LABEL[c]}: allocated`,
      unit: 'bytes/call',
      lowerIsBetter: true,
      ours: alloc[`ours${c}`].bytes,
      anchors: { [ANCHOR]: alloc[`raw${c}`].bytes },
    });
  }
  rows.push({
    row: 'cast end-to-end (pre-settled)',
    unit: 'msgs/s',
    ours: castR.ours.rate,
    anchors: { [ANCHOR]: castR.raw.rate },
  });
  rows.push({
    row: 'cast end-to-end: CPU',
    unit: 'µs/msg',
    lowerIsBetter: true,
    ours: castR.ours.cpuUs,
    anchors: { [ANCHOR]: castR.raw.cpuUs },
  });
  const block = readmeBlock(r, castR, alloc, new Date().toISOString().slice(0, 10), w.broker);
  log(`README block (packages/driver-amqp1/README.md, between the bench:amqp1 markers):\n\n${block}\n`);
  if (process.argv.includes('--readme')) {
    const text = readFileSync(README, 'utf8');
    const a = text.indexOf(START);
    const b = text.indexOf(END);
    if (a < 0 || b < a) log(`--readme: no bench:amqp1 markers in ${README}; not rewritten`);
    else
      (writeFileSync(README, `${text.slice(0, a + START.length)}\n${block}\n${text.slice(b)}`),
        log(`--readme: rewrote the figures in ${README}`));
  }
  return rows;
}
