// Per-call CPU and allocation of one side of the RabbitMQ scenario, for finding where a sequential call's
// time goes (not run by `npm run bench`):
//   node --expose-gc --min-semi-space-size=128 --max-semi-space-size=128 scripts/bench/_rabbit-profile.mjs <ours|raw|bare> [calls] [concurrency] [call|cast|notify]
//   node --cpu-prof --cpu-prof-dir=/tmp/prof scripts/bench/_rabbit-profile.mjs ours 20000
// Prints { side, calls, cpuUsPerCall, bytesPerCall, gcs, p50 }: bytes are exact when gcs is 0 (the young
// generation is made large enough that the window never collects; see _fake-child.mjs).
import { PerformanceObserver } from 'node:perf_hooks';
import { endToEnd } from './_measure.mjs';
import { SIDES } from './_rabbit-setups.mjs';

const side = process.argv[2] ?? 'ours';
const calls = Number(process.argv[3] ?? 5000);
const concurrency = Number(process.argv[4] ?? 1);
const what = process.argv[5] ?? 'call';
const s = await SIDES[side]();
for (let i = 0; i < 2000; i++) await s.call();
if (what !== 'call') {
  // Casts or notifications end-to-end, `concurrency` in flight: sent and received count.
  const [send, received] = what === 'cast' ? [s.cast, s.casts] : [s.notify, s.notes];
  let sent = 0;
  const untilReceived = async (n) => {
    while (received() < n) await new Promise((r) => setImmediate(r));
  };
  const run = async (n) => {
    const base = received();
    for (let done = 0; done < n; done += concurrency) {
      await Promise.all(Array.from({ length: concurrency }, () => send(sent++)));
      await untilReceived(base + done + concurrency - concurrency);
    }
    await untilReceived(base + n);
  };
  await run(2000);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run(calls);
  const cpu = process.cpuUsage(cpu0);
  const t1 = performance.now();
  await s.close();
  process.stdout.write(
    `${JSON.stringify({ side, what, msgs: calls, inFlight: concurrency, cpuUsPerMsg: +((cpu.user + cpu.system) / calls).toFixed(1), userUs: +(cpu.user / calls).toFixed(1), sysUs: +(cpu.system / calls).toFixed(1), rate: Math.round(calls / ((t1 - t0) / 1000)) })}\n`,
  );
  process.exit(0);
}
void endToEnd;
const gcs = [];
const obs = new PerformanceObserver((l) => {
  for (const e of l.getEntries()) gcs.push(e.startTime);
});
obs.observe({ entryTypes: ['gc'] });
globalThis.gc?.();
await new Promise((r) => setImmediate(r));
const lat = new Float64Array(calls);
let next = 0;
const t0 = performance.now();
const heap0 = process.memoryUsage().heapUsed;
const cpu0 = process.cpuUsage();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < calls) {
      const i = next++;
      const a = performance.now();
      await s.call();
      lat[i] = performance.now() - a;
    }
  }),
);
const cpu = process.cpuUsage(cpu0);
const heap1 = process.memoryUsage().heapUsed;
const t1 = performance.now();
await new Promise((r) => setTimeout(r, 20));
obs.disconnect();
lat.sort();
await s.close();
process.stdout.write(
  `${JSON.stringify({ side, calls, concurrency, cpuUsPerCall: +((cpu.user + cpu.system) / calls).toFixed(1), userUs: +(cpu.user / calls).toFixed(1), sysUs: +(cpu.system / calls).toFixed(1), bytesPerCall: Math.round((heap1 - heap0) / calls), gcs: gcs.filter((t) => t >= t0 && t <= t1).length, rate: Math.round(calls / ((t1 - t0) / 1000)), p50: +lat[calls >> 1].toFixed(3) })}\n`,
);
process.exit(0);
