// Interoperability with the real Python oslo.messaging 14 `amqp` driver (Proton + pyngus, run with
// /usr/bin/python3) through a real AMQP 1.0 broker, both directions: calls, server-targeted calls,
// casts, fanout, remote errors, NoSuchMethod, version mismatch, v1/v2 notifications.
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
import { startTestBroker, type TestBroker } from './__fixtures__/test-broker.js';

const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;
let broker: TestBroker;
let url: string;
let peers: ReturnType<typeof pythonPeers>;
const open: Transport[] = [];
const servers: MessageHandlingServer[] = [];

beforeAll(async () => {
  broker = await startTestBroker();
  url = `amqp://127.0.0.1:${broker.port}/`;
  peers = pythonPeers(url);
  // Fail loudly (never skip) when the Python peer or Proton is not installed.
  expect(await peers.installed(), 'Python oslo.messaging 14 with python3-pyngus and python3-qpid-proton must be installed').toBe(0);
});
afterEach(async () => {
  for (const s of servers.splice(0)) {
    await s.stop();
    await s.wait();
  }
  peers.killAll();
});
afterAll(async () => {
  await Promise.all(open.splice(0).map((t) => t.cleanup()));
  await broker.stop();
});
async function rpc() {
  const t = await getRpcTransport({ url, logger: silentLogger });
  open.push(t);
  return t;
}

describe('amqp1: our client -> Python oslo.messaging server', () => {
  it('call, server-targeted call, context, remote errors, NoSuchMethod, version mismatch, cast, fanout', async () => {
    const topic = uniq('py_srv');
    const a = peers.peer(['serve', '--topic', topic, '--server', 'pyA']);
    const b = peers.peer(['serve', '--topic', topic, '--server', 'pyB']);
    await a.until((l) => l.some((x) => x['ready']), 'server A');
    await b.until((l) => l.some((x) => x['ready']), 'server B');
    const client = getRpcClient(await rpc(), { topic, version: '1.1' }, { timeout: 15 });
    expect(await client.call({ user_id: 'ts' }, 'echo', { payload: { a: 1, b: [1, 'x', null] } })).toEqual({ a: 1, b: [1, 'x', null] });
    expect(await client.prepare({ server: 'pyB' }).call({}, 'whoami')).toBe('pyB');
    expect(await client.call({ user_id: 'ts-user', roles: ['admin'] }, 'context')).toMatchObject({ user_id: 'ts-user', roles: ['admin'] });
    const value = await client.call({}, 'fail', { kind: 'value' }).catch((e: unknown) => e);
    expect(value).toBeInstanceOf(ValueError);
    expect((value as Error).message).toBe('bad value from python');
    const custom = await client.call({}, 'fail', { kind: 'custom' }).catch((e: unknown) => e);
    expect(custom).toBeInstanceOf(RemoteError);
    expect((custom as RemoteError).excType).toBe('MyPythonError');
    expect(((await client.call({}, 'nope').catch((e: unknown) => e)) as RemoteError).excType).toBe('NoSuchMethod');
    expect(((await client.prepare({ version: '2.0' }).call({}, 'echo', { payload: 1 }).catch((e: unknown) => e)) as RemoteError).excType).toBe('UnsupportedVersion');

    await client.prepare({ server: 'pyA' }).cast({}, 'count', { payload: 'direct' });
    await a.until((l) => l.some((x) => x['cast'] === 'direct'), 'the server-targeted cast');
    await client.prepare({ fanout: true }).cast({}, 'count', { payload: 'everyone' });
    await a.until((l) => l.some((x) => x['cast'] === 'everyone'), 'fanout on A');
    await b.until((l) => l.some((x) => x['cast'] === 'everyone'), 'fanout on B');
    expect(b.lines.some((x) => x['cast'] === 'direct')).toBe(false);
  }, 120_000);
});

class QuotaExceeded extends Error {}

describe('amqp1: Python oslo.messaging client -> our server', () => {
  it('call, remote errors both ways, NoSuchMethod, version mismatch, server-targeted cast and fanout', async () => {
    const topic = uniq('ts_srv');
    const t = await rpc();
    const got: Record<string, string[]> = { tsA: [], tsB: [] };
    for (const name of ['tsA', 'tsB']) {
      const s = getRpcServer(t, { topic, server: name }, [{
        target: { version: '1.3' },
        echo: (_c: unknown, { payload }: { payload: unknown }) => payload,
        whoami: () => name,
        context: (ctxt: unknown) => ctxt,
        count: (_c: unknown, { payload }: { payload: string }) => void got[name]!.push(payload),
        value_error: () => { throw new ValueError('bad value from typescript'); },
        quota: () => { throw new QuotaExceeded('over quota'); },
      }]);
      await s.start();
      servers.push(s);
    }
    const { python } = peers;
    expect(await python(['call', '--topic', topic, '--method', 'echo', '--args', '{"payload": {"x": [1, 2]}}'])).toEqual({ result: { x: [1, 2] } });
    expect(await python(['call', '--topic', topic, '--server', 'tsB', '--method', 'whoami'])).toEqual({ result: 'tsB' });
    expect((await python(['call', '--topic', topic, '--method', 'context']))['result']).toMatchObject({ user_id: 'py-user', project_id: 'py-project' });
    expect((await python(['call', '--topic', topic, '--method', 'value_error']))['error']).toMatchObject({ is_value_error: true, message: 'bad value from typescript' });
    expect((await python(['call', '--topic', topic, '--method', 'quota']))['error']).toMatchObject({ is_remote_error: true, exc_type: 'QuotaExceeded' });
    expect(((await python(['call', '--topic', topic, '--method', 'nope']))['error'] as Record<string, unknown>)['exc_type']).toBe('NoSuchMethod');
    expect(((await python(['call', '--topic', topic, '--version', '2.0', '--method', 'echo', '--args', '{"payload": 1}']))['error'] as Record<string, unknown>)['exc_type']).toBe('UnsupportedVersion');

    await python(['call', '--topic', topic, '--server', 'tsA', '--cast', '--method', 'count', '--args', '{"payload": "direct"}']);
    await python(['call', '--topic', topic, '--fanout', '--cast', '--method', 'count', '--args', '{"payload": "everyone"}']);
    await expect.poll(() => got['tsA']!.length === 2 && got['tsB']!.length === 1, { timeout: 15_000 }).toBe(true);
    expect(got['tsA']!.sort()).toEqual(['direct', 'everyone']);
    expect(got['tsB']).toEqual(['everyone']);
  }, 120_000);
});

describe('amqp1: notifications across languages', () => {
  it('Python v1 and v2 notifications reach our listener', async () => {
    const topic = uniq('py_notif');
    const t = await getNotificationTransport({ url, logger: silentLogger });
    open.push(t);
    const seen: Array<{ priority: string; eventType: string; payload: unknown; publisherId: string }> = [];
    const record = (priority: string) => (_c: unknown, publisherId: string, eventType: string, payload: unknown) => void seen.push({ priority, eventType, payload, publisherId });
    const l = getNotificationListener(t, [{ topic }], [{ info: record('info'), warn: record('warn') }]);
    await l.start();
    servers.push(l);
    await peers.python(['notify', '--topic', topic, '--driver', 'messagingv2', '--priority', 'info', '--event', 'compute.instance.create.end', '--payload', '{"id": 2}', '--publisher', 'compute.py']);
    await peers.python(['notify', '--topic', topic, '--driver', 'messaging', '--priority', 'warn', '--event', 'compute.instance.v1', '--payload', '{"id": 1}', '--publisher', 'compute.py']);
    await expect.poll(() => seen.length, { timeout: 20_000 }).toBe(2);
    expect(seen.sort((x, y) => x.priority.localeCompare(y.priority))).toEqual([
      { priority: 'info', eventType: 'compute.instance.create.end', payload: { id: 2 }, publisherId: 'compute.py' },
      { priority: 'warn', eventType: 'compute.instance.v1', payload: { id: 1 }, publisherId: 'compute.py' },
    ]);
  }, 90_000);

  it('our v1 and v2 notifications reach a Python listener', async () => {
    const topic = uniq('ts_notif');
    const listener = peers.peer(['listen', '--topic', topic]);
    await listener.until((x) => x.some((y) => y['ready']), 'the Python listener');
    const t = await getNotificationTransport({ url, logger: silentLogger });
    open.push(t);
    await new Notifier(t, { publisherId: 'compute.ts', driver: 'messagingv2', topics: [topic] }).info({ user_id: 'u1', auth_token: 'secret' }, 'ts.v2', { n: 2 });
    await new Notifier(t, { publisherId: 'compute.ts', driver: 'messaging', topics: [topic] }).error({ user_id: 'u1' }, 'ts.v1', { n: 1 });
    await listener.until((x) => x.filter((y) => y['event_type']).length >= 2, 'two notifications');
    const events = listener.lines.filter((y) => y['event_type']);
    expect(events.map((e) => [e['priority'], e['event_type'], e['publisher_id'], e['payload']]).sort()).toEqual([['error', 'ts.v1', 'compute.ts', { n: 1 }], ['info', 'ts.v2', 'compute.ts', { n: 2 }]]);
    const v2 = events.find((e) => e['event_type'] === 'ts.v2')!['ctxt'] as Record<string, unknown>;
    expect(v2['user_id']).toBe('u1');
    expect(v2['auth_token']).toBeUndefined();
  }, 90_000);
});
