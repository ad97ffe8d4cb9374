// The API reference stays complete: TypeDoc with this repo's typedoc.json (validation on, warnings are errors)
// must pass, so every export of @oslo-messaging/core keeps its documentation and its links resolve.
// Same check as `npm run docs`, written to a temporary folder.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('API reference (TypeDoc)', () => {
  it('builds with zero warnings: every export of core documented, every link valid', () => {
    const out = mkdtempSync(join(tmpdir(), 'oslo-api-'));
    try {
      const r = spawnSync(
        process.execPath,
        [join(root, 'node_modules/typedoc/bin/typedoc'), '--out', out, '--logLevel', 'Warn'],
        { cwd: root, encoding: 'utf8', timeout: 120_000 },
      );
      // eslint-disable-next-line no-control-regex -- strips ANSI colour codes (ESC [ ... m)
      const output = `${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
      expect(output.trim(), output).toBe('');
      expect(r.status, output).toBe(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
