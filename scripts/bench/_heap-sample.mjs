// Where the bytes of one side's calls go: V8's sampling heap profiler (every 256 bytes, objects the
// young and old collections freed included) over `calls` calls, summed by allocating function and
// printed as bytes per call, largest first. Figures are sampled estimates: use them to find what to cut,
// and the scenario's own allocated-bytes row (a child process with no GC in the window) to report.
//   node scripts/bench/_heap-sample.mjs <fake|zmq|rabbit> <side> <concurrency> <calls> [call|cast|notify]
// e.g. `node scripts/bench/_heap-sample.mjs zmq ours 10 20000` (sides: see SIDES of _fake-setups.mjs and
// _zmq-setups.mjs).
import { Session } from 'node:inspector/promises';
import { measure, warmUp } from './_fake-setups.mjs';
const [scenario, side, concurrency, calls, what = 'call'] = [
  process.argv[2],
  process.argv[3],
  Number(process.argv[4]),
  Number(process.argv[5]),
  process.argv[6],
];
const { SIDES } = await import(`./_${scenario}-setups.mjs`);
const s = await SIDES[side]();

/** Casts or notifications, `concurrency` in flight, each batch received before the next. */
async function oneWay(s, what, concurrency, n) {
  const [send, received] = what === 'cast' ? [s.cast, s.casts] : [s.notify, s.notes];
  const base = received();
  for (let sent = 0; sent < n; sent += concurrency) {
    await Promise.all(Array.from({ length: concurrency }, (_, i) => send(sent + i)));
    while (received() < base + sent + concurrency) await new Promise((r) => setImmediate(r));
  }
}

await warmUp(s.call);
const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 256,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
if (what === 'call') await measure(s.call, concurrency, calls);
else await oneWay(s, what, concurrency, calls);
const { profile } = await session.post('HeapProfiler.stopSampling');
const byFn = new Map();
let total = 0;
const frameName = (f) =>
  `${f.functionName || '(anon)'} ${f.url.replace(/.*\/(packages|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
// A built-in (no script: Map, JSON.parse, ...) is named with the function that called it.
const walk = (node, caller) => {
  const f = node.callFrame;
  const name = f.url === '' && caller ? `${frameName(f)} <- ${caller}` : frameName(f);
  const self = node.selfSize;
  total += self;
  if (self) byFn.set(name, (byFn.get(name) ?? 0) + self);
  for (const c of node.children) walk(c, f.url === '' ? caller : frameName(f));
};
walk(profile.head, undefined);
const rows = [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 45);
console.log(`total ${(total / calls).toFixed(0)} bytes/call (sampled)`);
for (const [n, b] of rows) console.log(String(Math.round(b / calls)).padStart(7), n);
await s.close();
process.exit(0);
