// Hand-written SVG bar charts of bench rows (no plotting dependency): per row, ours and each anchor as
// horizontal bars on the row's own scale (units differ between rows), with the value and ours/anchor.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const COLORS = ['#2b6cb0', '#dd6b20', '#38a169', '#805ad5', '#d53f8c', '#718096'];
const W = 1000;
const LABEL_W = 390;
const BAR_W = 400;
const BAR_H = 16;
const GAP = 4;

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v) =>
  typeof v !== 'number' ? String(v) : v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2);

/** The SVG text of a chart of `rows` (the rows a scenario's `run` returns). */
export function chartSvg(title, subtitle, rows) {
  const series = ['ours', ...new Set(rows.flatMap((r) => Object.keys(r.anchors ?? {})))];
  const color = (s) => COLORS[series.indexOf(s) % COLORS.length];
  const parts = [];
  let y = 58;
  for (const r of rows) {
    const bars = [['ours', r.ours], ...Object.entries(r.anchors ?? {})].filter(
      ([, v]) => typeof v === 'number' && Number.isFinite(v),
    );
    const max = Math.max(...bars.map(([, v]) => v), Number.MIN_VALUE);
    parts.push(`<text x="12" y="${y + 12}" class="row">${esc(r.row)}</text>`);
    parts.push(
      `<text x="12" y="${y + 28}" class="unit">${esc(r.unit)}${r.lowerIsBetter ? ' (lower is better)' : ''}</text>`,
    );
    bars.forEach(([s, v], i) => {
      const by = y + i * (BAR_H + GAP);
      const w = Math.max(1, (v / max) * BAR_W);
      const ratio = s === 'ours' || !v ? '' : `  (ours/this ${(r.ours / v).toFixed(2)})`;
      parts.push(
        `<rect x="${LABEL_W}" y="${by}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${color(s)}"><title>${esc(`${s}: ${fmt(v)} ${r.unit}`)}</title></rect>`,
      );
      parts.push(
        `<text x="${(LABEL_W + w + 6).toFixed(1)}" y="${by + 12}" class="val">${esc(`${fmt(v)}${ratio}`)}</text>`,
      );
    });
    y += Math.max(2, bars.length) * (BAR_H + GAP) + 18;
  }
  const legend = series
    .map(
      (s, i) =>
        `<rect x="${12 + i * 190}" y="${y}" width="12" height="12" fill="${color(s)}"/><text x="${30 + i * 190}" y="${y + 11}" class="unit">${esc(s)}</text>`,
    )
    .join('');
  const h = y + 28;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">
<style>.title{font-size:16px;font-weight:600}.sub{font-size:12px;fill:#4a5568}.row{font-size:13px}.unit{font-size:11px;fill:#4a5568}.val{font-size:11px}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="12" y="22" class="title">${esc(title)}</text>
<text x="12" y="40" class="sub">${esc(subtitle)}</text>
${parts.join('\n')}
${legend}
</svg>
`;
}

/** Writes `<dir>/<scenario>.svg` for a scenario's rows; returns the file, or undefined when there is nothing to draw. */
export function writeChart(dir, scenario, description, rows, when = new Date()) {
  if (!rows?.length) return undefined;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${scenario}.svg`);
  const stamp = when.toISOString().slice(0, 16).replace('T', ' ');
  writeFileSync(
    file,
    chartSvg(
      `${scenario}: ${description}`,
      `npm run bench, ${stamp} UTC, node ${process.version}; each row on its own scale`,
      rows,
    ),
  );
  return file;
}
