// RabbitMQ: our driver against raw amqplib doing the same confirm-publish/ack/reply work by hand, the
// bare ceiling of amqplib request/reply (default exchange, direct reply-to, no confirms, no mandatory
// flag: what is left is oslo's protocol's own broker work), and Python oslo.messaging 14.0.3 (Debian)
// and 18.1.0 (upstream), all against the same broker in this run (sides: _rabbit-setups.mjs).
// The Node sides are measured twice: alternating in one process (rounds rotate ours/raw/bare; all three
// share one heap and event loop), and each alone in a process of its own (_rabbit-child.mjs). Rates
// are noisy on a shared machine; CPU µs per operation (client and server, both in the measuring
// process) is the steadier figure. Every ratio is ours/anchor: above 1 is better for rates, below 1
// for CPU. At the end it prints a markdown block for driver-rabbit's README (between bench:rabbit markers).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { alternateAll, keepBest, latency as lat, SECONDS } from './_measure.mjs';
import { DEBIAN, pythonBench, upstream } from './_python-peers.mjs';
import { RABBIT_URL, ROWS, SIDES } from './_rabbit-setups.mjs';

export const name = 'rabbit';
export const description =
  'RabbitMQ: driver-rabbit vs raw amqplib, bare amqplib ceiling, Python oslo.messaging 14.0.3 and 18.1.0';

const ROUNDS = Number(process.env.OSLO_BENCH_RABBIT_ROUNDS ?? 5);
/** Passes of the separate-process children (see separate()). */
const PASSES = Number(process.env.OSLO_BENCH_RABBIT_PASSES ?? 3);
/** The pause before each alternating round of casts or notifications (see alternating()). */
const SETTLE_MS = Number(process.env.OSLO_BENCH_RABBIT_SETTLE_MS ?? 1000);
const CHILD = fileURLToPath(new URL('./_rabbit-child.mjs', import.meta.url));
const RAW = 'raw amqplib';
const BARE = 'bare amqplib ceiling';

/**
 * Each side alone in its own process. The children take turns in PASSES passes (ours, raw, bare, then
 * again), each child running a share of the rounds, and the best of every side's rounds is kept: a burst
 * of load on the machine then spoils one side's pass, not all of one side's rounds.
 */
async function separate() {
  const out = {};
  const perPass = Math.max(1, Math.ceil(ROUNDS / PASSES));
  for (let pass = 0; pass < PASSES; pass++) {
    for (const side of Object.keys(SIDES)) {
      const { stdout } = await promisify(execFile)(process.execPath, [CHILD, side, String(perPass)], {
        timeout: 600_000,
        env: process.env,
      });
      const rows = JSON.parse(stdout.trim().split('\n').pop()).rows;
      const best = (out[side] ??= {});
      for (const [key, r] of Object.entries(rows)) best[key] = keepBest(best[key], r);
    }
  }
  return out;
}

/** Alternating rounds of every side in this process, row by row. */
async function alternating() {
  const s = {};
  for (const [side, setup] of Object.entries(SIDES)) s[side] = await setup();
  // One unmeasured pass of every row first: each row's code (the casts and notifications come after the
  // calls) is compiled before its rounds count, for every side alike.
  for (const r of ROWS) for (const side of Object.values(s)) await r.measure(side);
  const out = {};
  for (const r of ROWS) {
    // Casts and notifications flood the broker (the bare side: 100,000 messages a second); the side
    // measured next would pay for the broker catching up, so a one-way round starts after a pause.
    const settle = r.unit.includes('end-to-end')
      ? () => new Promise((ok) => setTimeout(ok, SETTLE_MS))
      : async () => {};
    const best = await alternateAll(
      Object.fromEntries(Object.keys(s).map((side) => [side, () => settle().then(() => r.measure(s[side]))])),
      ROUNDS,
    );
    out[r.key] = best;
  }
  for (const side of Object.values(s)) await side.close();
  return out;
}

async function pythons(log) {
  if (!existsSync('/usr/bin/python3')) {
    log('no /usr/bin/python3: no Python anchors');
    return [];
  }
  const peers = [DEBIAN];
  try {
    peers.push(await upstream());
  } catch (err) {
    log(`upstream oslo.messaging 18.1.0 not available: ${err.message}`);
  }
  const out = [];
  for (const peer of peers) {
    const got = {};
    for (const [key, mode] of [
      ['seq', 'seq'],
      ['c10', 'par10'],
    ]) {
      try {
        // Upstream 18.1 sleeps 0.5 s between polls of a call's reply (ReplyWaiters.get, lp-2035113): a
        // 1.5 s window holds a handful of calls, so it gets a longer one.
        got[key] = await pythonBench(
          peer,
          RABBIT_URL,
          mode,
          peer.version === '18.1.0' ? Math.max(SECONDS, 5) : SECONDS,
        );
      } catch (err) {
        log(`${peer.label} ${mode} failed: ${err.message.split('\n')[0]}`);
      }
    }
    out.push({ label: peer.label, ...got });
  }
  return out;
}

export async function run({ log }) {
  const alt = await alternating();
  const solo = await separate();
  const py = await pythons(log);
  const rows = [];
  for (const r of ROWS) {
    const a = alt[r.key];
    const anchors = { [RAW]: a.raw.rate, [BARE]: a.bare.rate };
    for (const p of py) if (p[r.key]) anchors[p.label] = p[r.key].rate;
    const extra =
      a.ours.p50 !== undefined
        ? {
            ours: lat(a.ours),
            raw: lat(a.raw),
            bare: lat(a.bare),
            ...Object.fromEntries(py.filter((p) => p[r.key]).map((p) => [p.label, lat(p[r.key])])),
          }
        : undefined;
    rows.push({ row: r.row, unit: r.unit, ours: a.ours.rate, anchors, ...(extra ? { extra } : {}) });
    const sp = solo.ours[r.key];
    rows.push({
      row: `${r.row}, separate processes`,
      unit: r.unit,
      ours: sp.rate,
      anchors: { [RAW]: solo.raw[r.key].rate, [BARE]: solo.bare[r.key].rate },
      ...(sp.p50 !== undefined
        ? { extra: { ours: lat(sp), raw: lat(solo.raw[r.key]), bare: lat(solo.bare[r.key]) } }
        : {}),
    });
  }
  for (const r of ROWS) {
    rows.push({
      row: `${r.row}: CPU, separate processes`,
      unit: `µs/${r.unit === 'calls/s' ? 'call' : 'msg'}`,
      lowerIsBetter: true,
      ours: solo.ours[r.key].cpuUs,
      anchors: { [RAW]: solo.raw[r.key].cpuUs, [BARE]: solo.bare[r.key].cpuUs },
    });
  }
  // Unindented, so it pastes as it is over the block in packages/driver-rabbit/README.md.
  process.stdout.write(`\n${readmeBlock(alt, solo, py).join('\n')}\n\n`);
  return rows;
}

const f = (v) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1));
const ratio = (a, b) => (b ? (a / b).toFixed(2) : '–');

/** The markdown block driver-rabbit's README shows (paste between its bench markers). */
function readmeBlock(alt, solo, py) {
  const day = new Date().toISOString().slice(0, 10);
  const lines = [
    '<!-- bench:rabbit:start -->',
    `One run (${day}, node ${process.version}, RabbitMQ on loopback, 100-byte payloads, ${SECONDS} s rounds, best round kept: alternating, ${ROUNDS} rounds per side after a warm-up pass; separate, ${PASSES * Math.max(1, Math.ceil(ROUNDS / PASSES))} rounds per side in ${PASSES} passes of its own process). ` +
      'Rates; in brackets ours/anchor (above 1: ours is faster). "alt." = the three Node sides alternating in one process, "sep." = each alone in its own process.',
    '',
    `| row | ours alt. | ${RAW} alt. | ${BARE} alt. | ours sep. | ${RAW} sep. | ${BARE} sep. |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of ROWS) {
    const a = alt[r.key];
    const s = (side) => solo[side][r.key];
    lines.push(
      `| ${r.row} (${r.unit}) | ${f(a.ours.rate)} | ${f(a.raw.rate)} (${ratio(a.ours.rate, a.raw.rate)}) | ${f(a.bare.rate)} (${ratio(a.ours.rate, a.bare.rate)}) | ${f(s('ours').rate)} | ${f(s('raw').rate)} (${ratio(s('ours').rate, s('raw').rate)}) | ${f(s('bare').rate)} (${ratio(s('ours').rate, s('bare').rate)}) |`,
    );
  }
  lines.push(
    '',
    '| CPU per operation, separate processes (client + server) | ours | raw amqplib | bare ceiling |',
    '|---|---|---|---|',
  );
  for (const r of ROWS)
    lines.push(
      `| ${r.row} | ${s1(solo.ours[r.key].cpuUs)} µs | ${s1(solo.raw[r.key].cpuUs)} µs (${ratio(solo.ours[r.key].cpuUs, solo.raw[r.key].cpuUs)}) | ${s1(solo.bare[r.key].cpuUs)} µs (${ratio(solo.ours[r.key].cpuUs, solo.bare[r.key].cpuUs)}) |`,
    );
  lines.push('', '| latency, alternating (p50 / p99 ms) | ours | raw amqplib | bare ceiling |', '|---|---|---|---|');
  for (const r of ROWS.filter((x) => alt[x.key].ours.p50 !== undefined)) {
    const a = alt[r.key];
    lines.push(
      `| ${r.row} | ${a.ours.p50.toFixed(2)} / ${a.ours.p99.toFixed(2)} | ${a.raw.p50.toFixed(2)} / ${a.raw.p99.toFixed(2)} | ${a.bare.p50.toFixed(2)} / ${a.bare.p99.toFixed(2)} |`,
    );
  }
  if (py.length) {
    lines.push(
      '',
      '| Python anchors (Python client and server, same broker) | ours alt. | ' +
        py.map((p) => p.label).join(' | ') +
        ' |',
      `|---|---|${py.map(() => '---|').join('')}`,
    );
    for (const key of ['seq', 'c10']) {
      const r = ROWS.find((x) => x.key === key);
      const o = alt[key].ours.rate;
      lines.push(
        `| ${r.row} (${r.unit}) | ${f(o)} | ${py.map((p) => (p[key] ? `${f(p[key].rate)} (ours ${ratio(o, p[key].rate)}x), p50 ${p[key].p50.toFixed(2)} ms` : '–')).join(' | ')} |`,
      );
    }
  }
  lines.push('<!-- bench:rabbit:end -->');
  return lines;
}
const s1 = (v) => v.toFixed(1);
