// Run by id-table.test.ts (through test-fixtures/gc/young-promotion.ts), on the built package: ids added
// and deleted at message rate, 4 in flight, each entry with 64 elements of its own.
//   node --expose-gc --single-threaded-gc churn-promotion.mjs <IdTable|Map>
import { printPromotion } from '../../../../test-fixtures/gc/measure-promotion.mjs';
import { IdTable } from '../../dist/id-table.js';

const table = process.argv[2] === 'Map' ? new Map() : new IdTable();
const live = [];
let next = 0;
printPromotion(() => {
  const id = `id-${(next++).toString(16).padStart(28, '0')}`;
  table.set(id, { payload: new Array(64).fill(next) });
  live.push(id);
  if (live.length > 4) table.delete(live.shift());
});
