// Plugin discovery against hand-written plugin packages in test-fixtures/plugins/: each test builds an
// application in a temporary directory (package.json + node_modules links to the fixtures).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DriverLoadFailure, ExecutorLoadFailure, PluginLoadFailure } from '../errors.js';
import { silentLogger } from '../logger.js';
import { getRpcClient } from '../rpc/client.js';
import { defineDriver } from '../spi/define.js';
import { ENTRY_POINT_GROUPS, readBrand } from '../spi/entry-point.js';
import { getRpcTransport } from '../transport.js';
import { PluginRegistry } from './registry.js';

const FIXTURES = fileURLToPath(new URL('../../../../test-fixtures/plugins/', import.meta.url));
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const D = ENTRY_POINT_GROUPS.drivers;
const work = mkdtempSync(join(tmpdir(), 'oslo-registry-'));
let appCount = 0;

afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * An application that declares `declared` (package name → fixture directory) and also has
 * `undeclared` packages installed in node_modules without listing them.
 */
function makeApp(declared: Record<string, string>, undeclared: Record<string, string> = {}): string {
  const app = join(work, `app${++appCount}`);
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  const dependencies = Object.fromEntries(Object.keys(declared).map((n) => [n, '*']));
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: `fixture-app-${appCount}`, private: true, type: 'module', dependencies }),
  );
  for (const [name, dir] of Object.entries({ ...declared, ...undeclared })) {
    mkdirSync(dirname(join(app, 'node_modules', name)), { recursive: true });
    symlinkSync(join(FIXTURES, dir), join(app, 'node_modules', name), 'dir');
  }
  return app;
}

const ALL = {
  'oslo-fixture-esm': 'esm',
  'oslo-fixture-cjs': 'cjs',
  'oslo-fixture-no-package-json-export': 'no-package-json-export',
  'oslo-fixture-incompatible-peer': 'incompatible-peer',
  'oslo-fixture-spi-v1': 'spi-v1',
  'oslo-fixture-broken-targets': 'broken-targets',
  'oslo-fixture-malformed-manifest': 'malformed-manifest',
};

async function loadError(
  registry: PluginRegistry,
  name: string,
  group: Parameters<PluginRegistry['load']>[0] = D,
): Promise<Error> {
  const r = await registry.load(group, name).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!r) throw new Error(`${name} loaded`);
  return r;
}

const fixtureImports = () => (globalThis as { __osloFixtureImports?: number }).__osloFixtureImports ?? 0;

describe('discovery from the application package.json', () => {
  const app = makeApp(ALL);
  const registry = new PluginRegistry({ appRoot: app });

  it('lists declared plugins without importing anything', () => {
    const before = fixtureImports();
    const fixtures = registry.list(D).filter((p) => p.packageName.startsWith('oslo-fixture'));
    expect(fixtures.map((p) => p.name)).toEqual([
      'cjs',
      'esm',
      'esm-alias',
      'future',
      'noexport',
      'nofile',
      'sealed',
      'spi1',
      'throws',
      'unbranded',
      'wronggroup',
    ]);
    expect(fixtures.find((p) => p.name === 'esm')).toEqual({
      group: D,
      name: 'esm',
      packageName: 'oslo-fixture-esm',
      version: '1.2.3',
      target: './lib/index.js#esmDriver',
    });
    expect(registry.list(ENTRY_POINT_GROUPS.executors).map((p) => p.name)).toContain('esm-exec');
    expect(fixtureImports()).toBe(before);
    expect((globalThis as { __osloFixturePeerImported?: boolean }).__osloFixturePeerImported).toBeUndefined();
  });

  it('loads an ESM plugin that imports a relative file, and the transport uses it', async () => {
    const factory = await registry.load(D, 'esm');
    expect(factory.name).toBe('esm');
    expect(readBrand(factory)).toEqual({ group: D, apiVersion: 2 });
    const transport = await getRpcTransport({ url: 'esm://', plugins: registry, logger: silentLogger });
    try {
      expect(await getRpcClient(transport, { topic: 't' }).call({}, 'ping')).toEqual({ from: 'esm', method: 'ping' });
    } finally {
      await transport.cleanup();
    }
  });

  it('loads a CommonJS plugin', async () => {
    const factory = await registry.load(D, 'cjs');
    expect(factory.name).toBe('cjs');
    expect(readBrand(factory)?.apiVersion).toBe(2);
  });

  it('loads a plugin whose exports do not include ./package.json', async () => {
    expect((await registry.load(D, 'sealed')).name).toBe('sealed');
  });

  it('gives one export under two names (aliases), and executors from the same package', async () => {
    expect(await registry.load(D, 'esm-alias')).toBe(await registry.load(D, 'esm'));
    expect(readBrand(await registry.load(ENTRY_POINT_GROUPS.executors, 'esm-exec'))?.group).toBe(
      ENTRY_POINT_GROUPS.executors,
    );
  });

  it('caches a loaded plugin: the same promise and value every time', async () => {
    const p1 = registry.load(D, 'esm');
    expect(registry.load(D, 'esm')).toBe(p1);
    const imports = fixtureImports();
    await p1;
    expect(fixtureImports()).toBe(imports);
  });

  it('refuses a plugin whose core peer range excludes this core, before importing it', async () => {
    const err = await loadError(registry, 'future');
    expect(err).toBeInstanceOf(DriverLoadFailure);
    expect(err.message).toBe(
      'oslo-fixture-incompatible-peer@9.0.0 requires @oslo-messaging/core@^99.0.0, but 0.1.0 is installed; install a version of oslo-fixture-incompatible-peer compatible with core 0.1.0',
    );
    expect((globalThis as { __osloFixturePeerImported?: boolean }).__osloFixturePeerImported).toBeUndefined();
  });

  it('refuses a plugin built for another SPI version', async () => {
    const err = await loadError(registry, 'spi1');
    expect(err).toBeInstanceOf(DriverLoadFailure);
    expect(err.message).toContain('from oslo-fixture-spi-v1 was built for plugin SPI version 1');
    expect(err.message).toContain('implements SPI version 2');
  });

  it('says which file is missing', async () => {
    const err = await loadError(registry, 'nofile');
    expect(err).toBeInstanceOf(DriverLoadFailure);
    expect(err.message).toMatch(
      /^The transport driver "nofile" of oslo-fixture-broken-targets points at \.\/lib\/missing\.js, which does not exist in .*broken-targets.*Is the package built\?$/,
    );
  });

  it('says which export is missing', async () => {
    expect((await loadError(registry, 'noexport')).message).toBe(
      'oslo-fixture-broken-targets declares transport driver "noexport" as ./lib/index.js#notExported, but that module has no export "notExported"',
    );
  });

  it('refuses an unbranded export and one branded for another group', async () => {
    const unbranded = await loadError(registry, 'unbranded');
    expect(unbranded).toBeInstanceOf(DriverLoadFailure);
    expect(unbranded.message).toBe(
      'The transport driver "unbranded" from oslo-fixture-broken-targets is not an oslo-messaging plugin (make it with define*() from @oslo-messaging/core)',
    );
    expect((await loadError(registry, 'wronggroup')).message).toBe(
      '"wronggroup" from oslo-fixture-broken-targets is a plugin for oslo.messaging.executors, not oslo.messaging.drivers',
    );
  });

  it('reports a module that throws while loading, with the cause', async () => {
    const err = await loadError(registry, 'throws');
    expect(err.message).toBe(
      'Failed to load transport driver "throws" from oslo-fixture-broken-targets: fixture module failed to evaluate',
    );
    expect((err.cause as Error).message).toBe('fixture module failed to evaluate');
  });

  it('reports a malformed manifest in warnings and still loads the other plugins', async () => {
    expect(registry.warnings).toEqual([
      'oslo-fixture-malformed-manifest: package.json "oslo.messaging".schema must be 1 (got 2)',
    ]);
    expect(registry.list(D).map((p) => p.name)).not.toContain('bad');
    expect((await registry.load(D, 'cjs')).name).toBe('cjs');
  });

  it('names the package to install and the installed drivers when a driver is missing', async () => {
    const err = await loadError(registry, 'nosuch');
    expect(err).toBeInstanceOf(DriverLoadFailure);
    expect(err).toMatchObject({ group: D, pluginName: 'nosuch', code: 'OSLO_DRIVER_LOAD_FAILURE' });
    expect(err.message).toContain('Failed to load transport driver "nosuch": no installed package provides it.');
    expect(err.message).toContain('npm install @oslo-messaging/driver-nosuch');
    expect(err.message).toMatch(/Installed transport drivers: .*cjs, esm, esm-alias/);
    expect(err.message).toContain(`(searched from ${app})`);
  });

  it('uses the error class of the group for a missing executor or notifier', async () => {
    const exec = await loadError(registry, 'nosuch', ENTRY_POINT_GROUPS.executors);
    expect(exec).toBeInstanceOf(ExecutorLoadFailure);
    expect(exec.message).toContain('npm install @oslo-messaging/executor-nosuch');
    const notifier = await loadError(registry, 'nosuch', ENTRY_POINT_GROUPS.notifyDrivers);
    expect(notifier).toBeInstanceOf(PluginLoadFailure);
    expect(notifier).not.toBeInstanceOf(DriverLoadFailure);
    expect(notifier.message).toContain('npm install @oslo-messaging/notifier-nosuch');
  });
});

describe('conflicts and conventions', () => {
  it('refuses two packages that claim the same name, naming both', async () => {
    const registry = new PluginRegistry({
      appRoot: makeApp({ 'oslo-fixture-duplicate-a': 'duplicate-a', 'oslo-fixture-duplicate-b': 'duplicate-b' }),
    });
    const err = await loadError(registry, 'dup');
    expect(err).toBeInstanceOf(DriverLoadFailure);
    expect(err.message).toBe(
      'Two packages provide the transport driver "dup": oslo-fixture-duplicate-a and oslo-fixture-duplicate-b. Remove one, or register the one you want explicitly with registerPlugin().',
    );
    expect(registry.list(D).find((p) => p.name === 'dup')?.packageName).toBe(
      'oslo-fixture-duplicate-a, oslo-fixture-duplicate-b',
    );
  });

  it('an explicit registration settles a conflict', async () => {
    const registry = new PluginRegistry({
      appRoot: makeApp({ 'oslo-fixture-duplicate-a': 'duplicate-a', 'oslo-fixture-duplicate-b': 'duplicate-b' }),
    });
    const chosen = defineDriver({
      name: 'chosen',
      create: () => {
        throw new Error('not used');
      },
    });
    registry.register(D, 'dup', chosen);
    expect(await registry.load(D, 'dup')).toBe(chosen);
  });

  it('finds an undeclared plugin installed under the conventional name oslo-messaging-driver-<name>', async () => {
    const registry = new PluginRegistry({ appRoot: makeApp({}, { 'oslo-messaging-driver-conv': 'conventional' }) });
    expect((await registry.load(D, 'conv')).name).toBe('conv');
  });
});

describe('explicit registration', () => {
  const app = makeApp({ 'oslo-fixture-esm': 'esm' });

  it('wins over discovery, shows as registered, and unregister restores discovery', async () => {
    const registry = new PluginRegistry({ appRoot: app });
    const discovered = await registry.load(D, 'esm');
    const mine = defineDriver({
      name: 'mine',
      create: () => {
        throw new Error('not used');
      },
    });
    registry.register(D, 'esm', mine);
    expect(await registry.load(D, 'esm')).toBe(mine);
    expect(registry.list(D).find((p) => p.name === 'esm')).toEqual({
      group: D,
      name: 'esm',
      packageName: 'registered',
    });
    registry.unregister(D, 'esm');
    expect(await registry.load(D, 'esm')).toBe(discovered);
  });

  it('refuses unbranded values and values of another group', () => {
    const registry = new PluginRegistry({ appRoot: app });
    expect(() => registry.register(D, 'x', { name: 'x', create() {} })).toThrow(DriverLoadFailure);
    expect(() => registry.register(D, 'x', { name: 'x', create() {} })).toThrow(
      'from registered is not an oslo-messaging plugin',
    );
    const driver = defineDriver({
      name: 'd',
      create: () => {
        throw new Error('not used');
      },
    });
    expect(() => registry.register(ENTRY_POINT_GROUPS.executors, 'd', driver)).toThrow(ExecutorLoadFailure);
  });

  it('is per registry', async () => {
    const a = new PluginRegistry({ appRoot: app });
    const b = new PluginRegistry({ appRoot: app });
    a.register(
      D,
      'only-a',
      defineDriver({
        name: 'only-a',
        create: () => {
          throw new Error('not used');
        },
      }),
    );
    expect(a.list(D).map((p) => p.name)).toContain('only-a');
    await expect(b.load(D, 'only-a')).rejects.toThrow(DriverLoadFailure);
  });
});

describe('the application root', () => {
  it('can be given as import.meta.url of a file in the app, even in a directory with spaces', async () => {
    const app = join(work, 'my app (spaces)');
    mkdirSync(join(app, 'src'), { recursive: true });
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'spaced-app', dependencies: { 'oslo-fixture-cjs': '*' } }),
    );
    symlinkSync(join(FIXTURES, 'cjs'), join(app, 'node_modules', 'oslo-fixture-cjs'), 'dir');
    const registry = new PluginRegistry({ appRoot: pathToFileURL(join(app, 'src', 'main.js')).href });
    expect(registry.appRoot).toBe(app);
    expect((await registry.load(D, 'cjs')).name).toBe('cjs');
  });

  it('can be a directory below the package root', () => {
    const app = makeApp({ 'oslo-fixture-cjs': 'cjs' });
    mkdirSync(join(app, 'lib', 'deep'), { recursive: true });
    expect(new PluginRegistry({ appRoot: join(app, 'lib', 'deep') }).appRoot).toBe(app);
  });
});

describe('failures are not cached', () => {
  it('a plugin built after a failed load is found without refresh()', async () => {
    const app = makeApp({});
    const pkg = join(app, 'node_modules', 'late-plugin');
    mkdirSync(join(pkg, 'dist'), { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({
        name: 'late-plugin',
        version: '1.0.0',
        type: 'module',
        'oslo.messaging': { schema: 1, spi: 2, entryPoints: { [D]: { late: './dist/index.js#late' } } },
      }),
    );
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'late-app', dependencies: { 'late-plugin': '*' } }),
    );
    const registry = new PluginRegistry({ appRoot: app });
    await expect(registry.load(D, 'late')).rejects.toThrow(/does not exist/);
    writeFileSync(
      join(pkg, 'dist', 'index.js'),
      "export const late = { [Symbol.for('oslo.messaging.entryPoint')]: { group: 'oslo.messaging.drivers', apiVersion: 2 }, name: 'late', create() {} };\n",
    );
    expect((await registry.load(D, 'late')).name).toBe('late');
  });

  it('refresh() picks up packages installed at run time', async () => {
    const app = makeApp({});
    const registry = new PluginRegistry({ appRoot: app });
    expect(registry.list(D).map((p) => p.name)).not.toContain('cjs');
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'grown-app', dependencies: { 'oslo-fixture-cjs': '*' } }),
    );
    symlinkSync(join(FIXTURES, 'cjs'), join(app, 'node_modules', 'oslo-fixture-cjs'), 'dir');
    expect(registry.list(D).map((p) => p.name)).not.toContain('cjs'); // index cached
    registry.refresh();
    expect(registry.list(D).map((p) => p.name)).toContain('cjs');
  });
});

describe('an application without the driver it asks for', () => {
  it('gets DriverLoadFailure naming npm install @oslo-messaging/driver-rabbit and the installed drivers', () => {
    // A copy of the built core inside the app, so nothing of the monorepo's node_modules is in reach.
    const app = makeApp({ 'oslo-fixture-esm': 'esm', 'oslo-fixture-cjs': 'cjs' });
    const core = join(app, 'node_modules', '@oslo-messaging', 'core');
    mkdirSync(core, { recursive: true });
    cpSync(join(REPO, 'packages/core/package.json'), join(core, 'package.json'));
    cpSync(join(REPO, 'packages/core/dist'), join(core, 'dist'), { recursive: true });
    symlinkSync(join(REPO, 'node_modules/semver'), join(app, 'node_modules/semver'), 'dir');
    writeFileSync(
      join(app, 'main.mjs'),
      "import { getRpcTransport } from '@oslo-messaging/core';\n" +
        "try { await getRpcTransport({ url: 'rabbit://guest:secret@localhost/' }); console.log('loaded'); }\n" +
        'catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }\n',
    );
    const out = JSON.parse(execFileSync(process.execPath, ['main.mjs'], { cwd: app, encoding: 'utf8' })) as {
      name: string;
      code: string;
      message: string;
    };
    expect(out.name).toBe('DriverLoadFailure');
    expect(out.code).toBe('OSLO_DRIVER_LOAD_FAILURE');
    expect(out.message).toContain('Install it with: npm install @oslo-messaging/driver-rabbit');
    expect(out.message).toContain('Installed transport drivers: cjs, esm, esm-alias');
    expect(out.message).not.toContain('secret');
  });
});
