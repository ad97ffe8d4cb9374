import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { metricToJson, pyFloatRepr, type Metric } from './metric.js';

// The reference is the real thing: Debian's oslo.metrics (python3-oslo.metrics) Metric.to_json().
function pythonToJson(metrics: Metric[]): string[] {
  const script = `
import json, sys
from oslo_metrics import message_type
for m in json.loads(sys.stdin.read()):
    v = m['action']['value']
    a = message_type.MetricAction(m['action']['action'], None if v is None else float(v))
    print(message_type.Metric(m['module'], m['name'], a, **m['labels']).to_json())
`;
  // Durations go as strings, so that Python sees floats (time.time() differences) and never ints.
  const input = metrics.map((m) => ({
    ...m,
    action: { ...m.action, value: m.action.value === null ? null : String(m.action.value) },
  }));
  const out = execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(input), encoding: 'utf8' });
  return out.trimEnd().split('\n');
}

const labels = {
  call_type: 'call',
  exchange: null,
  topic: 'compute',
  namespace: 'baseapi',
  version: '1.1',
  server: 'host-1',
  fanout: true,
  method: 'ping',
  timeout: null,
  process: 'nova-api',
};

describe('metricToJson', () => {
  it('writes exactly what oslo.metrics Metric.to_json() writes', () => {
    const durations = [
      0.0123456789, 1.5e-5, 2, 1e-7, 123456.789, 0.1, 1e16, 3.0000000000000004, 5e-5, 0.0001, 12.5, 1e21, 9.999e-5,
    ];
    const metrics: Metric[] = [
      {
        module: 'oslo_messaging',
        name: 'rpc_client_invocation_start_total',
        action: { action: 'inc', value: null },
        labels,
      },
      {
        module: 'oslo_messaging',
        name: 'rpc_client_exception_total',
        action: { action: 'inc', value: null },
        labels: { ...labels, fanout: false, exception: 'MessagingTimeout' },
      },
      // ensure_ascii, escapes and control characters in labels
      {
        module: 'oslo_messaging',
        name: 'rpc_client_invocation_end_total',
        action: { action: 'inc', value: null },
        labels: { ...labels, topic: 'tëst-ü-€-😀', method: 'a"b\\c\nd\te\u0001\u007f' },
      },
      ...durations.map((value): Metric => ({
        module: 'oslo_messaging',
        name: 'rpc_client_processing_seconds',
        action: { action: 'observe', value },
        labels,
      })),
    ];
    expect(metrics.map(metricToJson)).toEqual(pythonToJson(metrics));
  });

  it('writes floats as Python repr does', () => {
    expect([2, 0.5, 1e-5, 1.5e-5, 1e16, 123.456, -0.25, 0].map(pyFloatRepr)).toEqual([
      '2.0',
      '0.5',
      '1e-05',
      '1.5e-05',
      '1e+16',
      '123.456',
      '-0.25',
      '0.0',
    ]);
  });
});
