import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MalformedMessage } from '../errors.js';
import { parseJson, parseJsonBody } from './json.js';

describe('parseJson', () => {
  it('parses ordinary JSON', () => {
    expect(parseJson('{"a": [1, "x", null, true]}')).toEqual({ a: [1, 'x', null, true] });
  });

  it('accepts the NaN, Infinity and -Infinity literals Python json.dumps writes', () => {
    const v = parseJson('{"a": NaN, "b": Infinity, "c": -Infinity, "d": [NaN, 1.5]}') as Record<string, unknown>;
    expect(v['a']).toBeNaN();
    expect(v['b']).toBe(Infinity);
    expect(v['c']).toBe(-Infinity);
    expect((v['d'] as unknown[])[0]).toBeNaN();
    expect((v['d'] as unknown[])[1]).toBe(1.5);
  });

  it('parses what the installed Python writes for non-finite floats', () => {
    const py = execFileSync(
      '/usr/bin/python3',
      [
        '-c',
        'import json; print(json.dumps({"nan": float("nan"), "inf": float("inf"), "ninf": -float("inf"), "s": "NaN Infinity"}))',
      ],
      { encoding: 'utf8' },
    );
    const v = parseJson(py) as Record<string, unknown>;
    expect(v['nan']).toBeNaN();
    expect(v['inf']).toBe(Infinity);
    expect(v['ninf']).toBe(-Infinity);
    expect(v['s']).toBe('NaN Infinity');
  });

  it('leaves the literals alone inside strings, escaped quotes included', () => {
    const v = parseJson('{"s": "NaN", "t": "say \\"Infinity\\" NaN", "n": NaN}') as Record<string, unknown>;
    expect(v['s']).toBe('NaN');
    expect(v['t']).toBe('say "Infinity" NaN');
    expect(v['n']).toBeNaN();
  });

  it('does not turn a string into a number even when the document contains a literal', () => {
    const v = parseJson('{"x": "-Infinity", "y": Infinity}') as Record<string, unknown>;
    expect(v['x']).toBe('-Infinity');
    expect(v['y']).toBe(Infinity);
  });

  it('throws MalformedMessage on invalid JSON, with and without literals', () => {
    expect(() => parseJson('{"a": ')).toThrow(MalformedMessage);
    expect(() => parseJson('{"a": NaN')).toThrow(MalformedMessage);
    expect(() => parseJson('{"a": nan}')).toThrow(/not valid JSON/);
    expect(() => parseJson('{"a": Infinityx}')).toThrow(MalformedMessage);
  });
});

describe('parseJsonBody', () => {
  it('decodes UTF-8 bytes, including a view into a larger buffer', () => {
    const bytes = Buffer.from('xx{"name": "café"}yy', 'utf8');
    expect(parseJsonBody(bytes.subarray(2, bytes.length - 2))).toEqual({ name: 'café' });
    expect(parseJsonBody(new Uint8Array(Buffer.from('[1]')))).toEqual([1]);
    expect(parseJsonBody('{"a": 1}')).toEqual({ a: 1 });
  });
});
