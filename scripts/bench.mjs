#!/usr/bin/env node
// `npm run bench`: runs every scenario in scripts/bench/*.mjs (or those named on the command line,
// e.g. `npm run bench -- rabbit zmq`). Each scenario measures our library AND its anchors (raw client
// library, Python oslo.messaging) in the same run and prints ratios, because these machines are noisy.
// A scenario module exports `name`, `description` and `async run({ log })` returning rows:
//   [{ row: 'sequential call', unit: 'calls/s', ours: 1234, anchors: { 'raw amqplib': 1400, 'python oslo': 200 }, extra?: {...} }]
// A row of costs (CPU µs per call, bytes per call) says `lowerIsBetter: true`.
// Every ratio is printed as ours/anchor, and each scenario's rows are drawn as an SVG bar chart into
// docs/bench/<scenario>.svg (`--no-chart` skips it; `--chart-dir=DIR` writes elsewhere).
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeChart } from './bench/_chart.mjs';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'bench');
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const chartDir =
  process.argv.find((a) => a.startsWith('--chart-dir='))?.slice('--chart-dir='.length) ??
  join(dir, '..', '..', 'docs', 'bench');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.mjs') && !f.startsWith('_'))
  .sort();
const results = [];
for (const f of files) {
  const mod = await import(pathToFileURL(join(dir, f)).href);
  if (wanted.length > 0 && !wanted.includes(mod.name)) continue;
  process.stdout.write(`\n=== ${mod.name}: ${mod.description}\n`);
  try {
    const rows = await mod.run({ log: (m) => process.stdout.write(`  ${m}\n`) });
    for (const r of rows) {
      const anchors = Object.entries(r.anchors ?? {})
        .map(
          ([k, v]) =>
            `${k} ${fmt(v)} (ours/${k} ${v ? (r.ours / v).toFixed(2) : '-'}${r.lowerIsBetter ? ', lower is better' : ''})`,
        )
        .join(' | ');
      process.stdout.write(
        `  ${r.row.padEnd(50)} ours ${fmt(r.ours)} ${r.unit}${anchors ? ` | ${anchors}` : ''}${r.extra ? ` ${JSON.stringify(r.extra)}` : ''}\n`,
      );
      results.push({ scenario: mod.name, ...r });
    }
    if (!process.argv.includes('--no-chart')) {
      const file = writeChart(chartDir, mod.name, mod.description, rows);
      if (file) process.stdout.write(`  chart: ${file}\n`);
    }
  } catch (err) {
    process.exitCode = 1;
    process.stdout.write(`  FAILED: ${err?.stack ?? err}\n`);
  }
}
if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);

function fmt(v) {
  return typeof v === 'number' ? (v >= 100 ? v.toFixed(0) : v.toFixed(2)) : String(v);
}
