import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { chartSvg } from './bench/_chart.mjs';

describe('bench chart', () => {
  it("draws a bar per value on the row's own scale, with ours/anchor, escaped", () => {
    const svg = (chartSvg as (t: string, s: string, rows: unknown[]) => string)('fake: <in-process>', 'run', [
      { row: 'sequential call', unit: 'calls/s', ours: 200, anchors: { 'Moleculer & co': 100 } },
      { row: 'CPU', unit: 'µs/call', lowerIsBetter: true, ours: 5, anchors: { 'Moleculer & co': 10 } },
    ]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('fake: &lt;in-process&gt;');
    expect(svg.match(/<rect x="390"/g)).toHaveLength(4);
    expect(svg).toContain('width="400.0"');
    expect(svg).toContain('width="200.0"');
    expect(svg).toContain('(ours/this 2.00)');
    expect(svg).toContain('(ours/this 0.50)');
    expect(svg).toContain('(lower is better)');
    expect(svg).toContain('Moleculer &amp; co');
  });
});
