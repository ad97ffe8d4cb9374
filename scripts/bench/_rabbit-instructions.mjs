// Instructions per sequential call (or cast) of each side of the RabbitMQ scenario, counted by valgrind
// rather than timed: the count repeats within a few percent from run to run whatever else the machine is doing,
// where rates and CPU time here swing by 10% (not run by `npm run bench`; about 2 minutes per side and count):
//   node scripts/bench/_rabbit-instructions.mjs [call|cast] [sides...]      (default: call ours raw)
// Each side runs twice under `valgrind --tool=callgrind --cache-sim=yes` (JIT code included:
// --smc-check=all), after the same warm-up, with N and 3N operations; the difference over 2N is the cost of
// one operation, start-up and warm-up cancelled out. It counts this process's user-space instructions (all
// threads: the JIT compiler's and the GC's too) and the simulated first-level cache misses; not the kernel's
// work (socket reads and writes) nor the broker's.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const WARM = Number(process.env.OSLO_BENCH_COUNT_WARMUP ?? 6000);
const N = Number(process.env.OSLO_BENCH_COUNT_N ?? 2000);

if (process.argv[2] === '--child') {
  const { SIDES } = await import('./_rabbit-setups.mjs');
  const [side, what, warm, n] = [process.argv[3], process.argv[4], Number(process.argv[5]), Number(process.argv[6])];
  const s = await SIDES[side]();
  const op = what === 'cast' ? s.cast : s.call;
  for (let i = 0; i < warm + n; i++) await op();
  await s.close();
  process.exit(0);
}

const what = process.argv[2] === 'cast' ? 'cast' : 'call';
const sides = process.argv.slice(process.argv[2] === 'cast' || process.argv[2] === 'call' ? 3 : 2);
const me = fileURLToPath(import.meta.url);

/** Runs one side under callgrind and returns its totals: Ir (instructions), I1mr + D1mr + D1mw (misses). */
async function count(side, n) {
  const { stderr } = await promisify(execFile)(
    'valgrind',
    [
      '--tool=callgrind',
      '--cache-sim=yes',
      '--smc-check=all',
      '--callgrind-out-file=/dev/null',
      process.execPath,
      me,
      '--child',
      side,
      what,
      String(WARM),
      String(n),
    ],
    { maxBuffer: 1 << 24, timeout: 1_800_000 },
  );
  // "Collected : Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw"
  const m = /Collected : ([\d ]+)/.exec(stderr);
  if (!m) throw new Error(`valgrind printed no totals for ${side}:\n${stderr.slice(-2000)}`);
  const [ir, , , i1, d1r, d1w] = m[1].trim().split(' ').map(Number);
  return { ir, i1, d1: d1r + d1w };
}

const out = {};
for (const side of sides.length ? sides : ['ours', 'raw']) {
  const a = await count(side, N);
  const b = await count(side, 3 * N);
  const per = (k) => Math.round((b[k] - a[k]) / (2 * N));
  out[side] = { instructions: per('ir'), i1Misses: per('i1'), d1Misses: per('d1') };
  console.error(`${side}: ${JSON.stringify(out[side])}`);
}
console.log(JSON.stringify({ what, warmUp: WARM, n: N, perOperation: out }));
