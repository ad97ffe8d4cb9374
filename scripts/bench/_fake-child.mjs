// Child of scripts/bench/fake.mjs: one side measured alone in a process of its own.
//   node _fake-child.mjs <ours|moleculer> cpu <seqCalls> <c10Calls> <rounds>
//     calls/s and CPU µs per call, sequential and 10 concurrent, best of <rounds>, with Node's defaults:
//     nothing of the other side in the heap (in the alternating rounds of the parent, each side's
//     garbage is collected on the other's time too).
//   node --expose-gc --min-semi-space-size=128 --max-semi-space-size=128 _fake-child.mjs <side> alloc <concurrency> <calls>
//     bytes allocated per call, exactly: Node 20 has no `total_allocated_bytes` in v8.getHeapStatistics(),
//     so the young generation is made large enough that the measured calls trigger no GC at all (checked
//     with a PerformanceObserver on 'gc' entries): the heapUsed delta across the window is every byte allocated.
import { PerformanceObserver } from 'node:perf_hooks';
import { measure, SIDES, warmUp } from './_fake-setups.mjs';

const [side, mode] = [process.argv[2], process.argv[3]];
const s = await SIDES[side]();
await warmUp(s.call);
let out;
if (mode === 'cpu') {
  const [seqCalls, c10Calls, rounds] = process.argv.slice(4, 7).map(Number);
  const best = (a, b) =>
    a ? { rate: Math.max(a.rate, b.rate), cpuUs: Math.min(a.cpuUs, b.cpuUs) } : { rate: b.rate, cpuUs: b.cpuUs };
  let seq;
  let c10;
  for (let i = 0; i < rounds; i++) {
    seq = best(seq, await measure(s.call, 1, seqCalls));
    c10 = best(c10, await measure(s.call, 10, c10Calls));
  }
  out = { side, seq, c10 };
} else {
  const [concurrency, calls] = [Number(process.argv[4]), Number(process.argv[5])];
  const gcTimes = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcTimes.push(e.startTime);
  });
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
  out = {
    side,
    concurrency,
    calls,
    bytesPerCall: (after - before) / calls,
    gcs: gcTimes.filter((t) => t >= t0 && t <= t1).length,
  };
}
await s.close();
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
