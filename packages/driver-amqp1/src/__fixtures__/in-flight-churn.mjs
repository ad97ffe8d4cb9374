// Run by in-flight-sends.test.ts (through test-fixtures/gc/young-promotion.ts), on the built package: one
// send waiting per delivery (each with a message of 64 elements), 4 in flight, the oldest settled as the
// next goes out.
//   node --expose-gc --single-threaded-gc in-flight-churn.mjs <InFlightSends|Map>
import { printPromotion } from '../../../../test-fixtures/gc/measure-promotion.mjs';
import { InFlight, InFlightSends } from '../../dist/in-flight-sends.js';

const useMap = process.argv[2] === 'Map';
const sends = useMap ? new Map() : new InFlightSends();
const waiting = [];
let n = 0;
printPromotion(() => {
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
});
