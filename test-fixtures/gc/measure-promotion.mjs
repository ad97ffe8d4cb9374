// The child side of young-promotion.ts: how much of what a churning structure held is promoted to the
// old generation. Run under `node --expose-gc --single-threaded-gc` (young-promotion.ts does), so that
// the collections come where this says and nothing else collects meanwhile.
import v8 from 'node:v8';

const oldSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_used_size;

/**
 * Calls `step` (one entry added, the oldest still held removed) 1,000 times to warm up, collects fully, then
 * 10,000 times with a young collection every 50, and prints how much the old generation grew:
 * {"promotedKB": n}. A structure that keeps nothing it removed promotes little; one that does, most of it.
 */
export function printPromotion(step) {
  for (let i = 0; i < 1000; i++) step();
  globalThis.gc();
  globalThis.gc();
  const before = oldSpace();
  for (let round = 0; round < 200; round++) {
    for (let i = 0; i < 50; i++) step();
    globalThis.gc({ type: 'minor' });
  }
  process.stdout.write(JSON.stringify({ promotedKB: Math.round((oldSpace() - before) / 1024) }));
}
