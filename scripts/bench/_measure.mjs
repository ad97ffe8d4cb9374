// Measuring helpers shared by the bench scenarios: closed-loop drivers, end-to-end counters, and
// interleaved rounds of ours and the anchor (best of each), because these machines are noisy.
export const SECONDS = Number(process.env.OSLO_BENCH_SECONDS ?? 1.5);

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

/** Runs `op` from `concurrency` loops for SECONDS; returns ops/s, CPU µs per op (this process) and latency percentiles (ms). */
export async function drive(op, concurrency) {
  for (let i = 0; i < 50; i++) await op();
  const lat = [];
  const deadline = performance.now() + SECONDS * 1000;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await op();
        lat.push(performance.now() - t0);
      }
    }),
  );
  const took = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  lat.sort((x, y) => x - y);
  return {
    rate: lat.length / took,
    cpuUs: (cpu.user + cpu.system) / lat.length,
    p50: pct(lat, 0.5),
    p99: pct(lat, 0.99),
  };
}

/**
 * Counts messages from send to handler for SECONDS with a bounded window in flight. `received()` counts
 * every message its side ever received: the window is measured from its count now, so that a round after
 * others (a warm-up, an earlier row or round) waits for its own messages, not for those already counted.
 */
export async function endToEnd(send, received, window = 200) {
  const base = received();
  let sent = 0;
  const start = performance.now();
  const deadline = start + SECONDS * 1000;
  while (performance.now() < deadline) {
    const batch = [];
    for (let i = 0; i < window; i++) batch.push(send(sent++));
    await Promise.all(batch);
    while (received() - base < sent - window) await new Promise((r) => setImmediate(r));
  }
  while (received() - base < sent) await new Promise((r) => setTimeout(r, 1));
  return sent / ((performance.now() - start) / 1000);
}

/** {@link endToEnd} with the CPU µs per message this process spent (sender and receiver both). */
export async function endToEndStats(send, received, window = 200) {
  const cpu0 = process.cpuUsage();
  const n0 = received();
  const t0 = performance.now();
  const rate = await endToEnd(send, received, window);
  const n = Math.max(1, received() - n0);
  const cpu = process.cpuUsage(cpu0);
  return { rate, cpuUs: (cpu.user + cpu.system) / n, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Alternates every side of `measures` (`{ side: () => Promise<{rate, cpuUs?, p50?, p99?}> }`) for `rounds`
 * rounds, the order rotating each round; keeps per side the best of each figure (highest rate, lowest CPU
 * and latencies), so a burst of load on a shared machine hits one round, not the ratio.
 */
export async function alternateAll(measures, rounds = 3) {
  const sides = Object.keys(measures);
  const best = {};
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < sides.length; j++) {
      const side = sides[(i + j) % sides.length];
      best[side] = keepBest(best[side], await measures[side]());
    }
  }
  return best;
}

/** The best of two measurements of one side, figure by figure. */
export function keepBest(a, b) {
  if (!a) return b;
  const out = { ...a, rate: Math.max(a.rate, b.rate) };
  for (const k of ['cpuUs', 'p50', 'p99']) if (a[k] !== undefined && b[k] !== undefined) out[k] = Math.min(a[k], b[k]);
  return out;
}

/** Alternates ours and the anchor for `rounds` rounds and keeps each side's best round (robust to noise bursts). */
export async function alternate(measureOurs, measureRaw, rounds = 3) {
  let ours;
  let raw;
  for (let i = 0; i < rounds; i++) {
    const o = await measureOurs();
    const r = await measureRaw();
    if (!ours || o.rate > ours.rate) ours = o;
    if (!raw || r.rate > raw.rate) raw = r;
  }
  return { ours, raw };
}

/** `{p50_ms, p99_ms}` of a drive() result, rounded. */
export const latency = (r) => ({ p50_ms: +r.p50.toFixed(2), p99_ms: +r.p99.toFixed(2) });

/** The request payload every RPC scenario sends. */
export const PAYLOAD = { a: 1, b: 'x'.repeat(100) };

/** Our side of an RPC scenario: a server (echo, count) and a client on a fresh topic of `url`. */
export async function osloRpcBench(url) {
  const { getRpcClient, getRpcServer, getRpcTransport, silentLogger } = await import('@oslo-messaging/core');
  const { randomUUID } = await import('node:crypto');
  const t = await getRpcTransport({ url, logger: silentLogger });
  const topic = `bench_${randomUUID().slice(0, 8)}`;
  let casts = 0;
  const server = getRpcServer(t, { topic, server: 's' }, [
    { echo: (_c, { payload }) => payload, count: () => void casts++ },
  ]);
  await server.start();
  const client = getRpcClient(t, { topic }, { timeout: 30 });
  return {
    call: () => client.call({}, 'echo', { payload: PAYLOAD }),
    cast: () => client.cast({}, 'count', { payload: PAYLOAD }),
    casts: () => casts,
    close: async () => {
      await server.stop();
      await server.wait();
      await t.cleanup();
    },
  };
}

/**
 * Sequential calls, 10 and 100 concurrent callers and end-to-end casts, ours (`o`) against the anchor
 * (`w`, named `anchor`), rounds interleaved; closes both and returns the rows.
 */
export async function compareRpc(o, w, anchor, castRow = 'cast end-to-end') {
  const seq = await alternate(
    () => drive(o.call, 1),
    () => drive(w.call, 1),
  );
  const c10 = await alternate(
    () => drive(o.call, 10),
    () => drive(w.call, 10),
  );
  const c100 = await alternate(
    () => drive(o.call, 100),
    () => drive(w.call, 100),
  );
  const cast = await alternate(
    async () => ({ rate: await endToEnd(o.cast, o.casts) }),
    async () => ({ rate: await endToEnd(w.cast, w.casts) }),
  );
  await o.close();
  await w.close();
  const row = (name, r) => ({
    row: name,
    unit: 'calls/s',
    ours: r.ours.rate,
    anchors: { [anchor]: r.raw.rate },
    extra: { ours: latency(r.ours), raw: latency(r.raw) },
  });
  return [
    row('sequential call', seq),
    row('calls, 10 concurrent callers', c10),
    row('calls, 100 concurrent callers', c100),
    { row: castRow, unit: 'msgs/s', ours: cast.ours.rate, anchors: { [anchor]: cast.raw.rate } },
  ];
}

/** Runs `calls` calls of `op` from `concurrency` loops; returns calls/s, CPU µs per call and latency percentiles (ms). */
export async function measureCalls(op, concurrency, calls) {
  const lat = new Float64Array(calls);
  let next = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        const i = next++;
        const t0 = performance.now();
        await op();
        lat[i] = performance.now() - t0;
      }
    }),
  );
  const took = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  lat.sort();
  const pct = (p) => lat[Math.min(calls - 1, Math.floor(calls * p))];
  return { rate: calls / took, cpuUs: (cpu.user + cpu.system) / calls, p50: pct(0.5), p99: pct(0.99) };
}
