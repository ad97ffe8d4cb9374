import { describe, expect, it } from 'vitest';
import { defineDriver, defineExecutor, defineMatchmaker, defineNotifierDriver } from '../spi/define.js';
import { brand, ENTRY_POINT_BRAND, ENTRY_POINT_GROUPS, readBrand } from '../spi/entry-point.js';
import { candidatePackages, KNOWN_PACKAGES } from './known-packages.js';
import { MANIFEST_KEY, readManifest } from './manifest.js';

const D = ENTRY_POINT_GROUPS.drivers;

describe('readManifest', () => {
  it('reads entry points, defaulting the export to "default"', () => {
    const entries = readManifest('pkg', {
      [MANIFEST_KEY]: {
        schema: 1,
        spi: 2,
        entryPoints: {
          [D]: { rabbit: './dist/index.js#rabbitDriver', kombu: './dist/index.js' },
          [ENTRY_POINT_GROUPS.executors]: { pool: './dist/pool.js#pool' },
        },
      },
    });
    expect(entries).toEqual([
      { group: D, name: 'rabbit', file: './dist/index.js', exportName: 'rabbitDriver', spi: 2 },
      { group: D, name: 'kombu', file: './dist/index.js', exportName: 'default', spi: 2 },
      { group: ENTRY_POINT_GROUPS.executors, name: 'pool', file: './dist/pool.js', exportName: 'pool', spi: 2 },
    ]);
  });

  it('reads the SPI version the package was built for: none declared means SPI 1 (packages made before the field)', () => {
    expect(
      readManifest('pkg', { [MANIFEST_KEY]: { schema: 1, entryPoints: { [D]: { x: './x.js' } } } })?.[0]?.spi,
    ).toBe(1);
    for (const spi of [0, 1.5, '2', null]) {
      expect(() => readManifest('pkg', { [MANIFEST_KEY]: { schema: 1, spi, entryPoints: {} } })).toThrow(
        '"oslo.messaging".spi must be a plugin SPI version',
      );
    }
  });

  it('returns undefined for a package that declares nothing', () => {
    expect(readManifest('pkg', { name: 'pkg' })).toBeUndefined();
  });

  it.each([
    [{ [MANIFEST_KEY]: 'x' }, 'pkg: package.json "oslo.messaging" must be an object'],
    [{ [MANIFEST_KEY]: { entryPoints: {} } }, 'pkg: package.json "oslo.messaging".schema must be 1 (got undefined)'],
    [{ [MANIFEST_KEY]: { schema: 1 } }, 'pkg: package.json "oslo.messaging".entryPoints must be an object'],
    [
      { [MANIFEST_KEY]: { schema: 1, entryPoints: { 'oslo.messaging.transports': {} } } },
      'unknown entry point group "oslo.messaging.transports" (known: oslo.messaging.drivers, oslo.messaging.executors, oslo.messaging.notify.drivers, oslo.messaging.zmq.matchmaker, oslo.messaging.metrics)',
    ],
    [
      { [MANIFEST_KEY]: { schema: 1, entryPoints: { [D]: 'x' } } },
      '.entryPoints["oslo.messaging.drivers"] must be an object',
    ],
    [
      { [MANIFEST_KEY]: { schema: 1, entryPoints: { [D]: { r: 5 } } } },
      'target of oslo.messaging.drivers:r must be a string',
    ],
    [
      { [MANIFEST_KEY]: { schema: 1, entryPoints: { [D]: { r: 'dist/index.js#x' } } } },
      'target "dist/index.js#x" of oslo.messaging.drivers:r must look like "./path/in/package.js#exportName"',
    ],
    [{ [MANIFEST_KEY]: { schema: 1, entryPoints: { [D]: { r: './../other/index.js#x' } } } }, 'must look like'],
    [{ [MANIFEST_KEY]: { schema: 1, entryPoints: { [D]: { r: './a.js#b#c' } } } }, 'must look like'],
  ])('refuses %j', (json, message) => {
    expect(() => readManifest('pkg', json)).toThrow(message);
  });
});

describe('candidatePackages', () => {
  it('puts the first-party package first, then the conventional names', () => {
    expect(candidatePackages(D, 'rabbit')).toEqual(['@oslo-messaging/driver-rabbit', 'oslo-messaging-driver-rabbit']);
    expect(candidatePackages(D, 'kafka')).toEqual(['@oslo-messaging/driver-kafka', 'oslo-messaging-driver-kafka']);
    expect(candidatePackages(ENTRY_POINT_GROUPS.executors, 'threading')).toEqual([
      '@oslo-messaging/executor-pool',
      '@oslo-messaging/executor-threading',
      'oslo-messaging-executor-threading',
    ]);
    expect(candidatePackages(ENTRY_POINT_GROUPS.notifyDrivers, 'messagingv2')[0]).toBe(
      '@oslo-messaging/notifier-messaging',
    );
    expect(candidatePackages(ENTRY_POINT_GROUPS.matchmakers, 'sentinel')[0]).toBe('@oslo-messaging/matchmaker-redis');
  });

  it('never builds a package name from a name that is not a plain identifier', () => {
    for (const name of ['../evil', '@scope/x', 'a/b', '', 'UPPER', ' x'])
      expect(candidatePackages(D, name)).toEqual([]);
  });

  it('knows the drivers oslo names', () => {
    expect(Object.keys(KNOWN_PACKAGES[D]).sort()).toEqual(['amqp', 'fake', 'kombu', 'rabbit', 'zmq']);
  });
});

describe('brands', () => {
  it('define*() stamp the group and SPI version under the registered symbol, and freeze the value', () => {
    const create = () => {
      throw new Error('not used');
    };
    const cases = [
      [defineDriver({ name: 'd', create }), D],
      [defineExecutor({ name: 'e', create }), ENTRY_POINT_GROUPS.executors],
      [defineNotifierDriver({ name: 'n', create }), ENTRY_POINT_GROUPS.notifyDrivers],
      [defineMatchmaker({ name: 'm', create }), ENTRY_POINT_GROUPS.matchmakers],
    ] as const;
    for (const [value, group] of cases) {
      expect(readBrand(value)).toEqual({ group, apiVersion: 2 });
      expect((value as unknown as Record<symbol, unknown>)[Symbol.for('oslo.messaging.entryPoint')]).toEqual({
        group,
        apiVersion: 2,
      });
      expect(Object.isFrozen(value)).toBe(true);
      expect(Object.getPrototypeOf(value)).toBeNull();
    }
    expect(ENTRY_POINT_BRAND).toBe(Symbol.for('oslo.messaging.entryPoint'));
  });

  it('keeps the factory members', () => {
    const driver = defineDriver({ name: 'd', optionGroups: { g: {} }, create: () => ({}) as never });
    expect(driver.name).toBe('d');
    expect(driver.optionGroups).toEqual({ g: {} });
    expect(typeof driver.create).toBe('function');
    expect(brand(D, { x: 1 }).x).toBe(1);
  });

  it('readBrand ignores values without a well-formed brand', () => {
    const B = Symbol.for('oslo.messaging.entryPoint');
    for (const v of [
      null,
      undefined,
      1,
      'x',
      {},
      { [B]: null },
      { [B]: { group: D } },
      { [B]: { apiVersion: 2 } },
      { [B]: { group: D, apiVersion: '1' } },
    ]) {
      expect(readBrand(v)).toBeUndefined();
    }
    const fn = Object.assign(() => 1, { [B]: { group: D, apiVersion: 2 } });
    expect(readBrand(fn)).toEqual({ group: D, apiVersion: 2 });
  });
});
