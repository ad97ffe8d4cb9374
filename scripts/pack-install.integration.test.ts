// Proves what users get from npm: core, driver-fake and executor-pool are packed with `npm pack`,
// installed from the tarballs into a fresh application outside the workspace, and the app finds
// the driver and the executor at run time with no import of either package.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = ['core', 'driver-fake', 'executor-pool'];
let work: string;
let app: string;

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 240_000,
    env: { ...process.env, npm_config_loglevel: 'error' },
  });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'oslo-pack-'));
  const tarballs = PACKAGES.map((p) => {
    const out = run('npm', ['pack', '--silent', '--pack-destination', work], join(root, 'packages', p))
      .trim()
      .split('\n')
      .pop()!;
    return join(work, out);
  });
  app = join(work, 'app');
  run('mkdir', ['-p', app], work);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'pack-install-app',
        private: true,
        type: 'module',
        dependencies: Object.fromEntries(PACKAGES.map((p, i) => [`@oslo-messaging/${p}`, `file:${tarballs[i]}`])),
      },
      null,
      2,
    ),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts'], app);
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('packed packages installed into a fresh application', () => {
  it('contain built code, READMEs and CHANGELOGs but no tests or sources', () => {
    const files = readdirSync(join(app, 'node_modules/@oslo-messaging/driver-fake/dist'));
    expect(files).toContain('index.js');
    expect(files).toContain('index.d.ts');
    expect(files.some((f) => f.includes('.test.'))).toBe(false);
    expect(readdirSync(join(app, 'node_modules/@oslo-messaging/driver-fake'))).toEqual(
      expect.arrayContaining(['README.md', 'CHANGELOG.md', 'package.json', 'dist']),
    );
  });

  it('find the fake driver and the pool executor with no import of either', () => {
    writeFileSync(
      join(app, 'main.mjs'),
      `import { getRpcTransport, getRpcServer, getRpcClient, listPlugins } from '@oslo-messaging/core';
import { ENTRY_POINT_GROUPS } from '@oslo-messaging/core/spi';
const transport = await getRpcTransport({ url: 'fake://' });
const server = getRpcServer(transport, { topic: 't', server: 's' }, [{ add: (_c, { x, y }) => x + y }], { executor: 'pool' });
await server.start();
const result = await getRpcClient(transport, { topic: 't' }).call({}, 'add', { x: 2, y: 40 });
await server.stop(); await server.wait(); await transport.cleanup();
console.log(JSON.stringify({ result, drivers: listPlugins(ENTRY_POINT_GROUPS.drivers).map((p) => p.name + '@' + p.packageName) }));
`,
    );
    const out = JSON.parse(run(process.execPath, ['main.mjs'], app).trim()) as { result: number; drivers: string[] };
    expect(out.result).toBe(42);
    expect(out.drivers).toEqual(['fake@@oslo-messaging/driver-fake']);
  });

  it('name the package to install when a driver is missing', () => {
    writeFileSync(
      join(app, 'missing.mjs'),
      `import { getRpcTransport } from '@oslo-messaging/core';\ntry { await getRpcTransport({ url: 'rabbit://' }); } catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message })); }\n`,
    );
    const out = JSON.parse(run(process.execPath, ['missing.mjs'], app).trim()) as { name: string; message: string };
    expect(out.name).toBe('DriverLoadFailure');
    expect(out.message).toContain('npm install @oslo-messaging/driver-rabbit');
    expect(out.message).toContain('Installed transport drivers: fake');
  });

  it('can be required from CommonJS (ESM-only package, Node >= 20.19)', () => {
    writeFileSync(
      join(app, 'main.cjs'),
      `const core = require('@oslo-messaging/core');\nconsole.log(typeof core.getRpcTransport, typeof core.Target);\n`,
    );
    expect(run(process.execPath, ['main.cjs'], app).trim()).toBe('function function');
  });
});
