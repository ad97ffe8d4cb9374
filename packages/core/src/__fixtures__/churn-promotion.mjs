// Run by id-table.test.ts in a child process (`node --expose-gc --single-threaded-gc`), on the built
// package: entries added and deleted at message rate, a young collection every 50 of them, and how
// much the old generation grew meanwhile. Prints {"promotedKB": n}.
//   node --expose-gc --single-threaded-gc churn-promotion.mjs <IdTable|Map>
import v8 from 'node:v8';
import { IdTable } from '../../dist/id-table.js';

const table = process.argv[2] === 'Map' ? new Map() : new IdTable();
const oldSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_used_size;
let next = 0;
const live = [];
/** One call: its entry added (with 64 elements of its own), the oldest of the 4 in flight deleted. */
const step = () => {
  const id = `id-${(next++).toString(16).padStart(28, '0')}`;
  table.set(id, { payload: new Array(64).fill(next) });
  live.push(id);
  if (live.length > 4) table.delete(live.shift());
};
for (let i = 0; i < 1000; i++) step();
globalThis.gc();
globalThis.gc();
const before = oldSpace();
for (let round = 0; round < 200; round++) {
  for (let i = 0; i < 50; i++) step();
  globalThis.gc({ type: 'minor' });
}
process.stdout.write(JSON.stringify({ promotedKB: Math.round((oldSpace() - before) / 1024) }));
