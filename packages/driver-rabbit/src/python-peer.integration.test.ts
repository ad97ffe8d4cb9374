// Interoperability with the real Python oslo.messaging 14 (Debian's, run with /usr/bin/python3)
// over RabbitMQ, both directions: calls, casts, server-targeted casts, fanout, remote errors,
// version mismatch, NoSuchMethod, and v1/v2 notifications with pools.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  getNotificationListener,
  getNotificationTransport,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  Notifier,
  RemoteError,
  silentLogger,
  ValueError,
  type MessageHandlingServer,
  type Transport,
} from '@oslo-messaging/core';
import { pythonPeers } from '../../../test-fixtures/oslo-peer/python-peer.js';

const RABBIT_URL = process.env['OSLO_TEST_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;
const { peer, python, installed, killAll } = pythonPeers(RABBIT_URL);

const open: Transport[] = [];
const servers: MessageHandlingServer[] = [];
beforeAll(async () => {
  // Fail loudly (never skip) when the Python peer is not installed.
  expect(await installed(), 'Python oslo.messaging 14 must be installed (/usr/bin/python3, python3-oslo.messaging)').toBe(0);
});
afterEach(async () => {
  for (const s of servers.splice(0)) {
    await s.stop();
    await s.wait();
  }
  killAll();
});
afterAll(async () => {
  await Promise.all(open.splice(0).map((t) => t.cleanup()));
});
async function rpc(extra: { allowedRemoteExmods?: string[] } = {}) {
  const t = await getRpcTransport({ url: RABBIT_URL, logger: silentLogger, ...extra });
  open.push(t);
  return t;
}

describe('our client -> Python oslo.messaging server', () => {
  it('call, server-targeted call, remote errors, NoSuchMethod, version mismatch, cast, fanout', async () => {
    const topic = uniq('py_srv');
    const a = peer(['serve', '--topic', topic, '--server', 'pyA']);
    const b = peer(['serve', '--topic', topic, '--server', 'pyB']);
    await a.until((l) => l.some((x) => x['ready']), 'server A');
    await b.until((l) => l.some((x) => x['ready']), 'server B');
    const t = await rpc();
    const client = getRpcClient(t, { topic, version: '1.1' }, { timeout: 15 });
    expect(await client.call({ user_id: 'ts' }, 'echo', { payload: { a: 1, b: [1, 'x', null] } })).toEqual({ a: 1, b: [1, 'x', null] });
    expect(await client.prepare({ server: 'pyB' }).call({}, 'whoami')).toBe('pyB');
    const ctxt = (await client.call({ user_id: 'ts-user', roles: ['admin'] }, 'context')) as Record<string, unknown>;
    expect(ctxt).toMatchObject({ user_id: 'ts-user', roles: ['admin'] });

    const value = await client.call({}, 'fail', { kind: 'value' }).catch((e: unknown) => e);
    expect(value).toBeInstanceOf(ValueError);
    expect((value as Error).message).toBe('bad value from python');
    const custom = await client.call({}, 'fail', { kind: 'custom' }).catch((e: unknown) => e);
    expect(custom).toBeInstanceOf(RemoteError);
    expect((custom as RemoteError).excType).toBe('MyPythonError');
    expect((custom as RemoteError).traceback).toContain('Traceback');
    expect(((await client.call({}, 'nope').catch((e: unknown) => e)) as RemoteError).excType).toBe('NoSuchMethod');
    expect(((await client.prepare({ version: '2.0' }).call({}, 'echo', { payload: 1 }).catch((e: unknown) => e)) as RemoteError).excType).toBe('UnsupportedVersion');

    await client.prepare({ server: 'pyA' }).cast({}, 'count', { payload: 'direct' });
    await a.until((l) => l.some((x) => x['cast'] === 'direct'), 'the server-targeted cast');
    await client.prepare({ fanout: true }).cast({}, 'count', { payload: 'everyone' });
    await a.until((l) => l.some((x) => x['cast'] === 'everyone'), 'fanout on A');
    await b.until((l) => l.some((x) => x['cast'] === 'everyone'), 'fanout on B');
    expect(b.lines.some((x) => x['cast'] === 'direct')).toBe(false);
  }, 90_000);
});

class QuotaExceeded extends Error {}

describe('Python oslo.messaging client -> our server', () => {
  it('call, remote errors both ways, NoSuchMethod, version mismatch, cast, server-targeted cast and fanout', async () => {
    const topic = uniq('ts_srv');
    const t = await rpc();
    const got: Record<string, string[]> = { tsA: [], tsB: [] };
    const endpoint = (name: string) => ({
      target: { version: '1.3' },
      echo: (_c: unknown, { payload }: { payload: unknown }) => payload,
      whoami: () => name,
      context: (ctxt: unknown) => ctxt,
      count: (_c: unknown, { payload }: { payload: string }) => void got[name]!.push(payload),
      value_error: () => { throw new ValueError('bad value from typescript'); },
      quota: () => { throw new QuotaExceeded('over quota'); },
    });
    for (const name of ['tsA', 'tsB']) {
      const s = getRpcServer(t, { topic, server: name }, [endpoint(name)]);
      await s.start();
      servers.push(s);
    }
    expect(await python(['call', '--topic', topic, '--method', 'echo', '--args', '{"payload": {"x": [1, 2]}}'])).toEqual({ result: { x: [1, 2] } });
    expect(await python(['call', '--topic', topic, '--server', 'tsB', '--method', 'whoami'])).toEqual({ result: 'tsB' });
    const ctxt = (await python(['call', '--topic', topic, '--method', 'context']))['result'] as Record<string, unknown>;
    expect(ctxt).toMatchObject({ user_id: 'py-user', project_id: 'py-project', client_timeout: null });

    const ve = (await python(['call', '--topic', topic, '--method', 'value_error']))['error'] as Record<string, unknown>;
    expect(ve).toMatchObject({ is_value_error: true, message: 'bad value from typescript' });
    const qe = (await python(['call', '--topic', topic, '--method', 'quota']))['error'] as Record<string, unknown>;
    expect(qe).toMatchObject({ is_remote_error: true, exc_type: 'QuotaExceeded' });
    expect(((await python(['call', '--topic', topic, '--method', 'nope']))['error'] as Record<string, unknown>)['exc_type']).toBe('NoSuchMethod');
    expect(((await python(['call', '--topic', topic, '--version', '2.0', '--method', 'echo', '--args', '{"payload": 1}']))['error'] as Record<string, unknown>)['exc_type']).toBe('UnsupportedVersion');

    await python(['call', '--topic', topic, '--server', 'tsA', '--cast', '--method', 'count', '--args', '{"payload": "direct"}']);
    await python(['call', '--topic', topic, '--fanout', '--cast', '--method', 'count', '--args', '{"payload": "everyone"}']);
    const deadline = Date.now() + 15_000;
    while (!(got['tsA']!.includes('everyone') && got['tsB']!.includes('everyone') && got['tsA']!.includes('direct')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(got['tsA']!.sort()).toEqual(['direct', 'everyone']);
    expect(got['tsB']).toEqual(['everyone']);
  }, 120_000);
});

describe('notifications across languages', () => {
  it('Python v1 and v2 notifications reach our listener pools', async () => {
    const topic = uniq('py_notif');
    const t = await getNotificationTransport({ url: RABBIT_URL, logger: silentLogger });
    open.push(t);
    const seen: Record<string, Array<{ eventType: string; payload: unknown; publisherId: string }>> = { billing: [], audit: [] };
    for (const pool of ['billing', 'audit']) {
      const l = getNotificationListener(t, [{ topic }], [{ info: (_c: unknown, publisherId: string, eventType: string, payload: unknown) => void seen[pool]!.push({ eventType, payload, publisherId }), warn: (_c: unknown, publisherId: string, eventType: string, payload: unknown) => void seen[pool]!.push({ eventType, payload, publisherId }) }], { pool: `${topic}_${pool}` });
      await l.start();
      servers.push(l);
    }
    await python(['notify', '--topic', topic, '--driver', 'messagingv2', '--priority', 'info', '--event', 'compute.instance.create.end', '--payload', '{"id": 2}', '--publisher', 'compute.py']);
    await python(['notify', '--topic', topic, '--driver', 'messaging', '--priority', 'warn', '--event', 'compute.instance.v1', '--payload', '{"id": 1}', '--publisher', 'compute.py']);
    const deadline = Date.now() + 20_000;
    while ((seen['billing']!.length < 2 || seen['audit']!.length < 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    for (const pool of ['billing', 'audit']) {
      expect(seen[pool]!.map((s) => s.eventType).sort()).toEqual(['compute.instance.create.end', 'compute.instance.v1']);
      expect(seen[pool]!.every((s) => s.publisherId === 'compute.py')).toBe(true);
    }
  }, 90_000);

  it('our v1 and v2 notifications reach Python listener pools', async () => {
    const topic = uniq('ts_notif');
    const listeners = ['billing', 'audit'].map((pool) => peer(['listen', '--topic', topic, '--pool', `${topic}_${pool}`]));
    for (const l of listeners) await l.until((x) => x.some((y) => y['ready']), 'a Python listener');
    const t = await getNotificationTransport({ url: RABBIT_URL, logger: silentLogger });
    open.push(t);
    await new Notifier(t, { publisherId: 'compute.ts', driver: 'messagingv2', topics: [topic] }).info({ user_id: 'u1', auth_token: 'secret' }, 'ts.v2', { n: 2 });
    await new Notifier(t, { publisherId: 'compute.ts', driver: 'messaging', topics: [topic] }).error({ user_id: 'u1' }, 'ts.v1', { n: 1 });
    for (const l of listeners) {
      await l.until((x) => x.filter((y) => y['event_type']).length >= 2, 'two notifications');
      const events = l.lines.filter((y) => y['event_type']);
      expect(events.map((e) => [e['priority'], e['event_type'], e['publisher_id']]).sort()).toEqual([['error', 'ts.v1', 'compute.ts'], ['info', 'ts.v2', 'compute.ts']]);
      expect((events.find((e) => e['event_type'] === 'ts.v2')!['ctxt'] as Record<string, unknown>)['user_id']).toBe('u1');
      expect((events.find((e) => e['event_type'] === 'ts.v2')!['ctxt'] as Record<string, unknown>)['auth_token']).toBeUndefined();
    }
  }, 90_000);
});
