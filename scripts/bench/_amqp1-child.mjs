// Child of scripts/bench/amqp1.mjs: bytes allocated per call of one side, alone in this process.
//   node --expose-gc --min-semi-space-size=256 --max-semi-space-size=256 _amqp1-child.mjs <ours|raw> <concurrency> <calls>
// Node 20 has no `total_allocated_bytes` in v8.getHeapStatistics(), so the young generation is made
// large enough that the measured calls trigger no GC at all (checked with a PerformanceObserver on
// 'gc' entries): the heapUsed delta across the window is every byte allocated on the JS heap, by the
// client and the server of the side (Buffer contents live outside it and are not counted).
import { PerformanceObserver } from 'node:perf_hooks';
import { measure, SIDES } from './_amqp1-setups.mjs';

const [side, concurrency, calls] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const s = await SIDES[side]();
await measure(s.call, concurrency, 3000);
await measure(s.call, concurrency, 3000);
let gcs = 0;
let counting = false;
const obs = new PerformanceObserver((list) => {
  if (counting) gcs += list.getEntries().length;
});
obs.observe({ entryTypes: ['gc'] });
globalThis.gc();
globalThis.gc();
// GC entries are delivered asynchronously: let those of the forced collections go by first.
await new Promise((r) => setTimeout(r, 20));
counting = true;
const before = process.memoryUsage().heapUsed;
await measure(s.call, concurrency, calls);
const after = process.memoryUsage().heapUsed;
await new Promise((r) => setTimeout(r, 20));
obs.disconnect();
await s.close();
process.stdout.write(`${JSON.stringify({ side, concurrency, calls, bytesPerCall: (after - before) / calls, gcs })}\n`);
process.exit(0);
