// Child of scripts/bench/zmq.mjs: bytes allocated per call by one side alone in a process of its own.
//   node --expose-gc --min-semi-space-size=128 --max-semi-space-size=128 _zmq-child.mjs <ours|raw|moleculer> <concurrency> <calls>
// Node 20 has no `total_allocated_bytes` in v8.getHeapStatistics(), so the young generation is made
// large enough that the measured calls trigger no GC at all (checked with a PerformanceObserver on
// 'gc' entries): the heapUsed delta across the window is every byte allocated on the JS heap (client
// and server of the side together, as both live in this process). `external` is the growth of memory
// outside the heap (Buffers' backing stores), reported apart.
import { PerformanceObserver } from 'node:perf_hooks';
import { measure, warmUp } from './_fake-setups.mjs';
import { SIDES } from './_zmq-setups.mjs';

const [side, concurrency, calls] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const s = await SIDES[side]();
await warmUp(s.call);
const gcTimes = [];
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcTimes.push(e.startTime);
});
obs.observe({ entryTypes: ['gc'] });
globalThis.gc();
globalThis.gc();
await new Promise((r) => setImmediate(r));
const t0 = performance.now();
const before = process.memoryUsage();
await measure(s.call, concurrency, calls);
const after = process.memoryUsage();
const t1 = performance.now();
// GC entries are delivered asynchronously: give them a turn before reading the count.
await new Promise((r) => setTimeout(r, 20));
obs.disconnect();
const out = {
  side,
  concurrency,
  calls,
  bytesPerCall: (after.heapUsed - before.heapUsed) / calls,
  externalPerCall: (after.external - before.external) / calls,
  gcs: gcTimes.filter((t) => t >= t0 && t <= t1).length,
};
await s.close();
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
