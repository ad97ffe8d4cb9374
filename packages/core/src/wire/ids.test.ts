import { describe, expect, it } from 'vitest';
import { uuid4, uuidHex } from './ids.js';

describe('uuidHex', () => {
  it('gives uuid4().hex ids (version 4, RFC 4122 variant), all different across pool refills', () => {
    const ids = Array.from({ length: 2000 }, () => uuidHex());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('uuid4', () => {
  it('gives str(uuid4()) ids (dashed, version 4, RFC 4122 variant), all different across pool refills', () => {
    const ids = Array.from({ length: 2000 }, () => uuid4());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
