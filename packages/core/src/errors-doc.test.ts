import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CLASSES } from './errors.js';

describe('docs/errors.md', () => {
  it('lists every error class with its code, and nothing else', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `(OSLO_[A-Z_]+)` \| `(\w+)` \|/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
    const code = ERROR_CLASSES.map((c) => `${c.code} ${c.name}`).sort();
    expect(rows).toEqual(code);
    expect(new Set(ERROR_CLASSES.map((c) => c.code)).size).toBe(ERROR_CLASSES.length);
  });
});
