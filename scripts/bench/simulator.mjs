// The `oslo-messaging bench` simulator (packages/cli) over the in-memory driver and RabbitMQ:
// msgs/s and latency per concurrency level, with lost and duplicated message counts.
import { silentLogger } from '@oslo-messaging/core';
import { runBench } from '@oslo-messaging/cli';

export const name = 'simulator';
export const description = 'oslo-messaging bench (the CLI simulator): call/cast/notify at 1, 10, 100 clients';

const quiet = { out() {}, err() {}, progress() {}, interactive: false, interrupted: new Promise(() => {}) };

export async function run({ log }) {
  const rows = [];
  for (const url of ['fake://', process.env.OSLO_BENCH_RABBIT_URL ?? 'rabbit://guest:guest@127.0.0.1:5672/']) {
    for (const mode of ['call', 'cast', 'notify']) {
      const levels = await runBench(
        { mode, concurrency: [1, 10, 100], seconds: 1, transport: { url, logger: silentLogger } },
        quiet,
      );
      for (const l of levels) {
        if (l.lost > 0 || l.duplicated > 0)
          log(`${url} ${mode} c=${l.concurrency}: ${l.lost} lost, ${l.duplicated} duplicated`);
        rows.push({
          row: `${url.split(':')[0]} ${mode} c=${l.concurrency}`,
          unit: 'msgs/s',
          ours: l.msgsPerSecond,
          extra: { p50_ms: +l.p50Ms.toFixed(2), p99_ms: +l.p99Ms.toFixed(2), lost: l.lost, dup: l.duplicated },
        });
      }
    }
  }
  return rows;
}
