// In-process: our RPC over the in-memory driver (`fake://`) against Moleculer 0.14's Fake transporter
// doing the same work with the same loop. Nothing leaves the process, so this row is the cost of core
// itself (serialization, envelope, context, ids, reply waiters, deadlines, executor, dispatcher).
// Rates are noisy on a shared machine: CPU µs per call (process.cpuUsage) and bytes allocated per call
// (exact, measured in a child with a young generation that never collects during the window) are the
// steadier figures. Rates and CPU are measured twice: alternating in one process (both sides' garbage
// shares one heap) and each side alone in a process of its own (_fake-child.mjs).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { measure, moleculerSetup, oursSetup, warmUp } from './_fake-setups.mjs';
import { keepBest } from './_measure.mjs';

export const name = 'fake';
export const description =
  "in-process: driver-fake (core's own cost) vs Moleculer 0.14 Fake transporter, 100-byte payload";

const ANCHOR = 'Moleculer Fake';
const SEQ_CALLS = Number(process.env.OSLO_BENCH_FAKE_SEQ_CALLS ?? 5000);
const C10_CALLS = Number(process.env.OSLO_BENCH_FAKE_C10_CALLS ?? 10000);
const ROUNDS = Number(process.env.OSLO_BENCH_FAKE_ROUNDS ?? 3);
const ALLOC_CALLS = 2000;
const CHILD = fileURLToPath(new URL('./_fake-child.mjs', import.meta.url));

/** Best of `ROUNDS` alternated rounds per side: highest rate, lowest CPU per call, lowest p50/p99. */
async function rounds(o, m, concurrency, calls) {
  const best = { ours: undefined, anchor: undefined };
  const keep = (side, r) => (best[side] = keepBest(best[side], r));
  for (let i = 0; i < ROUNDS; i++) {
    keep('ours', await measure(o.call, concurrency, calls));
    keep('anchor', await measure(m.call, concurrency, calls));
  }
  return best;
}

async function child(args) {
  const { stdout } = await promisify(execFile)(process.execPath, [...args], { timeout: 120_000 });
  return JSON.parse(stdout.trim().split('\n').pop());
}

/** Bytes allocated per call, from a child process per side (see _fake-child.mjs). */
async function allocated(side, concurrency) {
  const r = await child([
    '--expose-gc',
    '--min-semi-space-size=128',
    '--max-semi-space-size=128',
    CHILD,
    side,
    'alloc',
    String(concurrency),
    String(ALLOC_CALLS),
  ]);
  return { bytes: r.bytesPerCall, exact: r.gcs === 0 };
}

/** Calls/s and CPU µs per call of one side alone in its own process (see _fake-child.mjs). */
const alone = (side) => child([CHILD, side, 'cpu', String(SEQ_CALLS), String(C10_CALLS), String(ROUNDS)]);

export async function run({ log }) {
  const o = await oursSetup();
  const m = await moleculerSetup();
  await warmUp(o.call);
  await warmUp(m.call);
  const seq = await rounds(o, m, 1, SEQ_CALLS);
  const c10 = await rounds(o, m, 10, C10_CALLS);
  await o.close();
  await m.close();
  const alloc = {};
  for (const side of ['ours', 'moleculer']) for (const c of [1, 10]) alloc[`${side}${c}`] = await allocated(side, c);
  if (Object.values(alloc).some((a) => !a.exact))
    log('a GC ran inside an allocation window: bytes/call there are a lower bound');
  const solo = { ours: await alone('ours'), anchor: await alone('moleculer') };
  const lat = (r) => ({ p50_ms: +r.p50.toFixed(3), p99_ms: +r.p99.toFixed(3) });
  const rows = [];
  for (const [label, r, c] of [
    ['sequential call', seq, 1],
    ['calls, 10 concurrent callers', c10, 10],
  ]) {
    rows.push({
      row: label,
      unit: 'calls/s',
      ours: r.ours.rate,
      anchors: { [ANCHOR]: r.anchor.rate },
      extra: { ours: lat(r.ours), [ANCHOR]: lat(r.anchor) },
    });
    rows.push({
      row: `${label}: CPU`,
      unit: 'µs/call',
      lowerIsBetter: true,
      ours: r.ours.cpuUs,
      anchors: { [ANCHOR]: r.anchor.cpuUs },
    });
    rows.push({
      row: `${label}: allocated`,
      unit: 'bytes/call',
      lowerIsBetter: true,
      ours: alloc[`ours${c}`].bytes,
      anchors: { [ANCHOR]: alloc[`moleculer${c}`].bytes },
    });
  }
  for (const [label, k] of [
    ['sequential call', 'seq'],
    ['calls, 10 concurrent callers', 'c10'],
  ]) {
    rows.push({
      row: `${label}, separate processes`,
      unit: 'calls/s',
      ours: solo.ours[k].rate,
      anchors: { [ANCHOR]: solo.anchor[k].rate },
    });
    rows.push({
      row: `${label}, separate processes: CPU`,
      unit: 'µs/call',
      lowerIsBetter: true,
      ours: solo.ours[k].cpuUs,
      anchors: { [ANCHOR]: solo.anchor[k].cpuUs },
    });
  }
  return rows;
}
