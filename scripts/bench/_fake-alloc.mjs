// Child of scripts/bench/fake.mjs: bytes allocated per call by one side, measured exactly.
// Node 20 has no `total_allocated_bytes` in v8.getHeapStatistics(), so the parent starts this process
// with a young generation large enough that the measured calls trigger no GC at all (checked with a
// PerformanceObserver on 'gc' entries): the heapUsed delta across the window is then every byte allocated.
// Usage: node --expose-gc --min-semi-space-size=128 --max-semi-space-size=128 _fake-alloc.mjs <ours|moleculer> <concurrency> <calls>
import { PerformanceObserver } from 'node:perf_hooks';
import { measure, SIDES, warmUp } from './_fake-setups.mjs';

const [side, concurrency, calls] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const s = await SIDES[side]();
await warmUp(s.call);
const gcTimes = [];
const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcTimes.push(e.startTime); });
obs.observe({ entryTypes: ['gc'] });
globalThis.gc();
globalThis.gc();
await new Promise((r) => setImmediate(r));
const t0 = performance.now();
const before = process.memoryUsage().heapUsed;
await measure(s.call, concurrency, calls);
const after = process.memoryUsage().heapUsed;
const t1 = performance.now();
// GC entries are delivered asynchronously: give them a turn before reading the count.
await new Promise((r) => setTimeout(r, 20));
obs.disconnect();
const gcs = gcTimes.filter((t) => t >= t0 && t <= t1).length;
await s.close();
process.stdout.write(`${JSON.stringify({ side, concurrency, calls, bytesPerCall: (after - before) / calls, gcs })}\n`);
process.exit(0);
