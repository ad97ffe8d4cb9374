// Run by in-flight-sends.test.ts in a child process (`node --expose-gc --single-threaded-gc`), on the
// built package: one send waiting per delivery, 4 in flight, each settled as the next goes out, with a
// young collection every 50 sends; prints how much the old generation grew: {"promotedKB": n}.
//   node --expose-gc --single-threaded-gc in-flight-churn.mjs <InFlightSends|Map>
import v8 from 'node:v8';
import { InFlight, InFlightSends } from '../../dist/in-flight-sends.js';

const useMap = process.argv[2] === 'Map';
const sends = useMap ? new Map() : new InFlightSends();
const oldSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_used_size;
const waiting = [];
let n = 0;
/** A delivery (with a message of 64 elements) goes out; the oldest of the 4 waiting is settled. */
const send = () => {
  const delivery = { id: n++, message: new Array(64).fill(n) };
  const f = new InFlight(delivery, Infinity, () => undefined);
  if (useMap) sends.set(delivery, f);
  else sends.add(f);
  waiting.push(delivery);
  if (waiting.length > 4) {
    const d = waiting.shift();
    if (useMap) sends.delete(d);
    else sends.remove(sends.get(d));
  }
};
for (let i = 0; i < 1000; i++) send();
globalThis.gc();
globalThis.gc();
const before = oldSpace();
for (let round = 0; round < 200; round++) {
  for (let i = 0; i < 50; i++) send();
  globalThis.gc({ type: 'minor' });
}
process.stdout.write(JSON.stringify({ promotedKB: Math.round((oldSpace() - before) / 1024) }));
