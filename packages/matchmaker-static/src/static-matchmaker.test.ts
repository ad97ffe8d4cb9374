import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, silentLogger, Target } from '@oslo-messaging/core';
import type { Matchmaker } from '@oslo-messaging/core/spi';
import { describe, expect, it } from 'vitest';
import { parseRing } from './ring-file.js';
import { StaticMatchmaker } from './static-matchmaker.js';

const write = (data: unknown) => {
  const file = join(mkdtempSync(join(tmpdir(), 'ring-')), 'ring.json');
  writeFileSync(file, typeof data === 'string' ? data : JSON.stringify(data));
  return file;
};

describe('ring file', () => {
  it.each([
    ['not JSON', '{'],
    ['a list', '[]'],
    ['a host without port', '{"t": ["host1"]}'],
    ['a number', '{"t": 5}'],
    ['a bad server entry', '{"t": {"s1": 7}}'],
  ])('rejects %s with a ConfigurationError naming the file', (_what, text) => {
    expect(() => parseRing(text, '/etc/ring.json')).toThrow(ConfigurationError);
    expect(() => parseRing(text, '/etc/ring.json')).toThrow(/\/etc\/ring\.json/);
  });

  it('a missing file is a ConfigurationError', () => {
    expect(() => new StaticMatchmaker('/nonexistent/ring.json', silentLogger)).toThrow(ConfigurationError);
  });
});

describe('StaticMatchmaker', () => {
  const file = write({
    compute: ['10.0.0.1:9501', '10.0.0.2:9501'],
    'compute.node9': ['10.0.0.9:9501'],
    scheduler: { s1: '10.0.0.3:9501', s2: ['10.0.0.4:9501'] },
    notifications: ['10.0.0.5:9502'],
    '*': ['10.0.0.100:9500'],
  });
  // Typed as the SPI interface: the driver calls register() with its four arguments.
  const mm: Matchmaker = new StaticMatchmaker(file, silentLogger);

  it('answers topics, topic.server entries, per-server maps and the * fallback', async () => {
    expect(await mm.getHosts(new Target({ topic: 'compute' }), 'ROUTER')).toEqual(['10.0.0.1:9501', '10.0.0.2:9501']);
    expect(await mm.getHosts(new Target({ topic: 'compute', server: 'node9' }), 'ROUTER')).toEqual(['10.0.0.9:9501']);
    // An unknown server: the topic's processes (the one that lacks it refuses, and the client moves on).
    expect(await mm.getHosts(new Target({ topic: 'compute', server: 'nodeX' }), 'ROUTER')).toEqual([
      '10.0.0.1:9501',
      '10.0.0.2:9501',
    ]);
    expect(await mm.getHosts(new Target({ topic: 'scheduler', server: 's2' }), 'ROUTER')).toEqual(['10.0.0.4:9501']);
    expect(await mm.getHostsFanout(new Target({ topic: 'scheduler' }), 'ROUTER')).toEqual([
      '10.0.0.3:9501',
      '10.0.0.4:9501',
    ]);
    expect(await mm.getHosts(new Target({ topic: 'anything' }), 'ROUTER')).toEqual(['10.0.0.100:9500']);
    expect(await mm.getHosts(new Target({ topic: 'notifications.info' }), 'NOTIFY')).toEqual(['10.0.0.5:9502']);
  });

  it('registration is a no-op: the file is the truth', async () => {
    await mm.register(new Target({ topic: 'new' }), '1.2.3.4:5', 'ROUTER', 10);
    expect(await mm.getHosts(new Target({ topic: 'new' }), 'ROUTER')).toEqual(['10.0.0.100:9500']);
  });

  it('re-reads the file when it changes, and keeps the old ring if the new one is broken', async () => {
    const f = write({ t: ['10.0.0.1:1'] });
    const m = new StaticMatchmaker(f, silentLogger);
    writeFileSync(f, JSON.stringify({ t: ['10.0.0.2:2'] }));
    utimesSync(f, new Date(), new Date(Date.now() + 5000));
    await new Promise((r) => setTimeout(r, 1050));
    expect(await m.getHosts(new Target({ topic: 't' }), 'ROUTER')).toEqual(['10.0.0.2:2']);
    writeFileSync(f, '{broken');
    utimesSync(f, new Date(), new Date(Date.now() + 10_000));
    await new Promise((r) => setTimeout(r, 1050));
    expect(await m.getHosts(new Target({ topic: 't' }), 'ROUTER')).toEqual(['10.0.0.2:2']);
  });
});
