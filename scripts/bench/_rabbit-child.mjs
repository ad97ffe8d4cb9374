// Child of scripts/bench/rabbit.mjs: one side (ours | raw | bare, see _rabbit-setups.mjs) measured alone
// in a process of its own, with nothing of the other sides in its heap or on its event loop.
//   node _rabbit-child.mjs <side> <rounds>
// Prints one JSON line: { side, rows: { <row key>: { rate, cpuUs, p50?, p99? } } }, best of <rounds> per figure,
// after a warm-up pass of every row.
import { ROWS, SIDES } from './_rabbit-setups.mjs';
import { keepBest } from './_measure.mjs';

const side = process.argv[2];
const rounds = Number(process.argv[3] ?? 3);
const s = await SIDES[side]();
// One unmeasured pass of every row first, as the alternating mode and the other scenarios' children do: a
// side's first rounds otherwise pay for compiling its code (core's and the driver's for ours, more than the
// anchors' few functions), and process.cpuUsage counts the compiler threads too.
for (const r of ROWS) await r.measure(s);
const rows = {};
for (let i = 0; i < rounds; i++) for (const r of ROWS) rows[r.key] = keepBest(rows[r.key], await r.measure(s));
await s.close();
process.stdout.write(`${JSON.stringify({ side, rows })}\n`);
process.exit(0);
