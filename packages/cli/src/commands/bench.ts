import { writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import {
  getNotificationListener,
  getNotificationTransport,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  Notifier,
  type MessageHandlingServer,
  type Transport,
} from '@oslo-messaging/core';
import { COMMON_HELP, numberOption, parse, transportOptions } from '../common.js';
import { EXIT, UsageError } from '../exit-codes.js';
import type { Io } from '../io.js';

export const BENCH_HELP = `Usage: oslo-messaging bench [--mode call|cast|notify] [options]

A load simulator like oslo's tools/simulator.py: runs a server (or listener) and clients in this
process over the given transport, level by level, then prints msgs/s, p50/p95/p99 latency (round trip
for calls, send-to-handler for casts and notifications), and lost and duplicated messages.

Options:
  --mode M              call (default), cast or notify
  --concurrency LIST    concurrent clients per level (default 1,10,100)
  --duration S          seconds per level (default 5)
  --payload-bytes N     size of each message's cargo (default 100)
  --json                print the results as JSON
  --plot FILE.svg       also draw throughput and p99 against concurrency
${COMMON_HELP}

Examples:
  oslo-messaging bench --url fake:// --mode call --concurrency 1,10 --duration 2
  oslo-messaging bench --url rabbit://guest:guest@127.0.0.1:5672/ --mode cast --plot cast.svg`;

/** One concurrency level's results. */
export interface BenchLevel {
  readonly concurrency: number;
  readonly mode: string;
  readonly sent: number;
  readonly received: number;
  readonly msgsPerSecond: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly lost: number;
  readonly duplicated: number;
}

const now = () => performance.timeOrigin + performance.now();
const pct = (s: number[], p: number) => (s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(s.length * p))]!);

async function runLevel(
  mode: 'call' | 'cast' | 'notify',
  concurrency: number,
  seconds: number,
  cargo: string,
  options: Parameters<typeof getRpcTransport>[0],
  io: Io,
  stop: { stopped: boolean },
): Promise<BenchLevel> {
  const seen = new Map<number, number>();
  const latencies: number[] = [];
  const receive = (seq: number, sent: number) => {
    seen.set(seq, (seen.get(seq) ?? 0) + 1);
    if (mode !== 'call') latencies.push(now() - sent);
  };
  const topic = `bench_${randomUUID().slice(0, 8)}`;
  let transport: Transport;
  let server: MessageHandlingServer;
  let send: (seq: number) => Promise<void>;
  if (mode === 'notify') {
    transport = await getNotificationTransport(options);
    server = getNotificationListener(
      transport,
      [{ topic }],
      [
        {
          info: (_c: unknown, _p: string, _e: string, payload: { seq: number; sent: number }) =>
            receive(payload.seq, payload.sent),
        },
      ],
    );
    const notifier = new Notifier(transport, { publisherId: 'bench', topics: [topic] });
    await notifier.loadDrivers();
    send = (seq) => notifier.info({}, 'bench.message', { seq, sent: now(), cargo });
  } else {
    transport = await getRpcTransport(options);
    server = getRpcServer(transport, { topic, server: 'bench' }, [
      { message: (_c: unknown, { seq, sent }: { seq: number; sent: number }) => (receive(seq, sent), seq) },
    ]);
    const client = getRpcClient(transport, { topic }, { timeout: 60 });
    send =
      mode === 'call'
        ? async (seq) => {
            const t0 = now();
            await client.call({}, 'message', { seq, sent: t0, cargo });
            latencies.push(now() - t0);
          }
        : (seq) => client.cast({}, 'message', { seq, sent: now(), cargo });
  }
  await server.start();
  // Warm up (connections, reply queue, JIT) outside the measurement; sequence numbers < 0 are not counted.
  for (let i = -20; i < 0; i++) await send(i).catch(() => undefined);
  while ([...seen.keys()].filter((k) => k < 0).length < 20 && !stop.stopped) await new Promise((r) => setTimeout(r, 5));
  for (const k of [...seen.keys()]) if (k < 0) seen.delete(k);
  latencies.length = 0;
  let sent = 0;
  let failed = 0;
  const start = now();
  const deadline = start + seconds * 1000;
  const ticker = io.interactive
    ? setInterval(
        () =>
          io.progress(
            `${mode} c=${concurrency}: ${seen.size} msgs, ${(seen.size / ((now() - start) / 1000)).toFixed(0)} msgs/s`,
          ),
        250,
      )
    : undefined;
  // Closed loop: casts and notifications are accepted faster than they are handled, so each client
  // waits while too many are in flight; latency then measures the system, not an ever-growing queue.
  const window = Math.max(100, concurrency * 10);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (now() < deadline && !stop.stopped) {
        while (sent - failed - seen.size > window && now() < deadline) await new Promise((r) => setTimeout(r, 1));
        const seq = sent++;
        await send(seq).catch(() => void failed++);
      }
    }),
  );
  // Let in-flight messages arrive (casts and notifications are asynchronous).
  const drainUntil = now() + 10_000;
  while (seen.size < sent - failed && now() < drainUntil && !stop.stopped) await new Promise((r) => setTimeout(r, 10));
  const elapsed = (now() - start) / 1000;
  clearInterval(ticker);
  if (io.interactive) io.progress('');
  await server.stop();
  await server.wait();
  await transport.cleanup();
  latencies.sort((a, b) => a - b);
  let duplicated = 0;
  for (const n of seen.values()) duplicated += n - 1;
  return {
    concurrency,
    mode,
    sent,
    received: seen.size,
    msgsPerSecond: seen.size / elapsed,
    p50Ms: pct(latencies, 0.5),
    p95Ms: pct(latencies, 0.95),
    p99Ms: pct(latencies, 0.99),
    lost: sent - seen.size,
    duplicated,
  };
}

/** A small SVG of msgs/s and p99 latency against concurrency. */
export function plotSvg(levels: readonly BenchLevel[], title: string): string {
  const W = 640;
  const H = 360;
  const L = 70;
  const R = 70;
  const T = 40;
  const B = 50;
  const xs = levels.map(
    (_, i) => L + (levels.length === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (levels.length - 1)),
  );
  const maxRate = Math.max(1, ...levels.map((l) => l.msgsPerSecond));
  const maxP99 = Math.max(0.001, ...levels.map((l) => l.p99Ms));
  const y = (v: number, max: number) => T + (H - T - B) * (1 - v / max);
  const line = (vals: number[], max: number) =>
    vals.map((v, i) => `${xs[i]!.toFixed(1)},${y(v, max).toFixed(1)}`).join(' ');
  const esc = (s: string) => s.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>
<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>
<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#1f77b4"/>
<line x1="${W - R}" y1="${T}" x2="${W - R}" y2="${H - B}" stroke="#d62728"/>
<text x="${L - 8}" y="${T}" text-anchor="end" fill="#1f77b4">${maxRate.toFixed(0)}</text>
<text x="${L - 8}" y="${H - B}" text-anchor="end" fill="#1f77b4">0</text>
<text x="${W - R + 8}" y="${T}" fill="#d62728">${maxP99.toFixed(1)} ms</text>
<text x="${W - R + 8}" y="${H - B}" fill="#d62728">0</text>
<text x="${L}" y="${T - 8}" fill="#1f77b4">msgs/s</text>
<text x="${W - R}" y="${T - 8}" text-anchor="end" fill="#d62728">p99 latency</text>
${levels.map((l, i) => `<text x="${xs[i]!.toFixed(1)}" y="${H - B + 18}" text-anchor="middle">${l.concurrency}</text>`).join('\n')}
<text x="${W / 2}" y="${H - 12}" text-anchor="middle">concurrent clients</text>
<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${line(
    levels.map((l) => l.msgsPerSecond),
    maxRate,
  )}"/>
<polyline fill="none" stroke="#d62728" stroke-width="2" stroke-dasharray="6 4" points="${line(
    levels.map((l) => l.p99Ms),
    maxP99,
  )}"/>
</svg>
`;
}

/** Options of {@link runBench}. */
export interface RunBenchOptions {
  readonly mode: 'call' | 'cast' | 'notify';
  readonly concurrency: readonly number[];
  readonly seconds: number;
  readonly payloadBytes?: number;
  readonly transport: Parameters<typeof getRpcTransport>[0];
}

/** The simulator behind `oslo-messaging bench`, for programs (the repo's `npm run bench` uses it). */
export async function runBench(options: RunBenchOptions, io: Io): Promise<BenchLevel[]> {
  const cargo = 'x'.repeat(options.payloadBytes ?? 100);
  const stop = { stopped: false };
  const out: BenchLevel[] = [];
  for (const c of options.concurrency)
    out.push(await runLevel(options.mode, c, options.seconds, cargo, options.transport, io, stop));
  return out;
}

export async function benchCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    mode: { type: 'string' },
    concurrency: { type: 'string' },
    duration: { type: 'string' },
    'payload-bytes': { type: 'string' },
    json: { type: 'boolean' },
    plot: { type: 'string' },
  });
  if (values.help) {
    io.out(BENCH_HELP);
    return EXIT.OK;
  }
  const mode = (values.mode ?? 'call') as 'call' | 'cast' | 'notify';
  if (!['call', 'cast', 'notify'].includes(mode))
    throw new UsageError(`--mode must be call, cast or notify (got "${values.mode}")`);
  const levels = (values.concurrency ?? '1,10,100').split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`--concurrency must be a list of positive integers (got "${values.concurrency}")`);
    return n;
  });
  const seconds = numberOption('duration', values.duration, 5);
  const cargo = 'x'.repeat(Math.trunc(numberOption('payload-bytes', values['payload-bytes'], 100)));
  const options = transportOptions(values);
  const stop = { stopped: false };
  void io.interrupted.then(() => (stop.stopped = true));
  const results: BenchLevel[] = [];
  for (const c of levels) {
    if (stop.stopped) break;
    results.push(await runLevel(mode, c, seconds, cargo, options, io, stop));
  }
  if (values.json) io.out(JSON.stringify(results));
  else {
    io.out(
      `${'mode'.padEnd(7)}${'clients'.padStart(8)}${'msgs/s'.padStart(11)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'sent'.padStart(9)}${'lost'.padStart(7)}${'dup'.padStart(6)}`,
    );
    for (const r of results) {
      io.out(
        `${r.mode.padEnd(7)}${String(r.concurrency).padStart(8)}${r.msgsPerSecond.toFixed(0).padStart(11)}${r.p50Ms.toFixed(2).padStart(9)}${r.p95Ms.toFixed(2).padStart(9)}${r.p99Ms.toFixed(2).padStart(9)}${String(r.sent).padStart(9)}${String(r.lost).padStart(7)}${String(r.duplicated).padStart(6)}`,
      );
    }
  }
  if (values.plot)
    writeFileSync(
      values.plot,
      plotSvg(results, `oslo-messaging bench: ${mode} over ${String(options.url ?? 'the configured transport')}`),
    );
  return stop.stopped ? EXIT.INTERRUPTED : EXIT.OK;
}
