// Interoperability with the real Python oslo.messaging 14 (Debian's, run with /usr/bin/python3)
// over RabbitMQ, both directions: calls, casts, server-targeted casts, fanout, remote errors,
// version mismatch, NoSuchMethod, and v1/v2 notifications with pools.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  getNotificationListener,
  getNotificationTransport,
  getRpcTransport,
  Notifier,
  silentLogger,
  type MessageHandlingServer,
  type Transport,
} from '@oslo-messaging/core';
import { pythonPeers } from '../../../test-fixtures/oslo-peer/python-peer.js';
import { ourClientToPythonServers, pythonClientToOurServers } from '../../../test-fixtures/oslo-peer/rpc-interop.js';

const RABBIT_URL = process.env['OSLO_TEST_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;
const peers = pythonPeers(RABBIT_URL);
const { peer, python, installed, killAll } = peers;

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
async function rpc() {
  const t = await getRpcTransport({ url: RABBIT_URL, logger: silentLogger });
  open.push(t);
  return t;
}

describe('our client -> Python oslo.messaging server', () => {
  it('call, server-targeted call, context, remote errors, NoSuchMethod, version mismatch, server-targeted cast, fanout', () => ourClientToPythonServers({ peers, rpc, servers }), 120_000);
});

describe('Python oslo.messaging client -> our server', () => {
  it('call, server-targeted call, context, remote errors both ways, NoSuchMethod, version mismatch, server-targeted cast, fanout', () => pythonClientToOurServers({ peers, rpc, servers }), 120_000);
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
