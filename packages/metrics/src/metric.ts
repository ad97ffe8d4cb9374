/**
 * oslo.metrics' message format (Python: `oslo_metrics.message_type.Metric`), byte for byte as
 * `Metric.to_json()` writes it: Python's `json.dumps` with its default separators (`", "`, `": "`),
 * `ensure_ascii`, and floats written as Python's `repr` writes them.
 */

/** A label value as oslo.messaging sends it: a string, a boolean (fanout) or null (Python's None). */
export type LabelValue = string | number | boolean | null;

/** `MetricAction`: `inc` (value null) or `observe` (value: seconds, a float). */
export interface MetricAction {
  readonly action: 'inc' | 'observe';
  readonly value: number | null;
}

/** One metric message. `labels` are written in their insertion order, as Python keeps kwargs. */
export interface Metric {
  readonly module: string;
  readonly name: string;
  readonly action: MetricAction;
  readonly labels: Readonly<Record<string, LabelValue>>;
}

/** `Metric.to_json()`: the datagram oslo.messaging sends, exactly as Python writes it. */
export function metricToJson(metric: Metric): string {
  let labels = '';
  for (const key of Object.keys(metric.labels)) {
    labels += `${labels === '' ? '' : ', '}${pyString(key)}: ${pyValue(metric.labels[key] ?? null)}`;
  }
  return `{"module": ${pyString(metric.module)}, "name": ${pyString(metric.name)}, "action": {"value": ${pyValue(metric.action.value)}, "action": ${pyString(metric.action.action)}}, "labels": {${labels}}}`;
}

function pyValue(value: LabelValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return pyFloatRepr(value);
  return pyString(value);
}

/** `json.dumps(str)` with `ensure_ascii=True`: anything past `~` as `\uXXXX` (lower-case hex, UTF-16 units). */
export function pyString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A number as Python's `json.dumps` writes a float (`float.__repr__`): the shortest round-trip digits,
 * positional for exponents -4..15 with at least one decimal (`2.0`), else `1.5e-05` / `1e+16`.
 * `NaN` and infinities as Python writes them (`NaN`, `Infinity`, `-Infinity`).
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa = '0', exp = '0'] = x.toExponential().split('e');
  const e = Number(exp);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (e < -4 || e >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  const intPart = digits.slice(0, e + 1).padEnd(e + 1, '0');
  const frac = digits.slice(e + 1);
  return `${sign}${intPart}.${frac === '' ? '0' : frac}`;
}
