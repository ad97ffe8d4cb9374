// Interoperability with the real Python oslo.messaging over RabbitMQ, both directions, against two
// peers: Debian's 14.0.3 (/usr/bin/python3) and upstream's 18.1.0 (the unmodified tarball in
// ../shared/peers, run on Debian's oslo dependencies). Calls, casts, server-targeted casts, fanout,
// remote errors, version mismatch, NoSuchMethod, v1/v2 notifications with pools, and the notification
// context each version puts on the wire. Every Python process reports the oslo.messaging it imported
// and the test fails unless it is the peer's version, from the peer's directory.
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
import {
  checkPeer,
  DEBIAN_PEER,
  pythonPeers,
  upstreamPeer,
  type OsloPeer,
} from '../../../test-fixtures/oslo-peer/python-peer.js';
import { ourClientToPythonServers, pythonClientToOurServers } from '../../../test-fixtures/oslo-peer/rpc-interop.js';

const RABBIT_URL = process.env['OSLO_TEST_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;

/** Both peers; a missing tarball or an 18.1 that does not import fails the 18.1 tests (never skips them). */
const PEERS: ReadonlyArray<{ label: string; version: string; prepare: () => Promise<OsloPeer> }> = [
  { label: DEBIAN_PEER.label, version: DEBIAN_PEER.version, prepare: async () => DEBIAN_PEER },
  { label: 'oslo.messaging 18.1.0 (upstream)', version: '18.1.0', prepare: upstreamPeer },
];

const open: Transport[] = [];
afterAll(async () => {
  await Promise.all(open.splice(0).map((t) => t.cleanup()));
});
async function rpc() {
  const t = await getRpcTransport({ url: RABBIT_URL, logger: silentLogger });
  open.push(t);
  return t;
}
async function notificationTransport() {
  const t = await getNotificationTransport({ url: RABBIT_URL, logger: silentLogger });
  open.push(t);
  return t;
}

describe.each(PEERS)('rabbit <-> Python $label', ({ version, prepare }) => {
  let peers: ReturnType<typeof pythonPeers>;
  const servers: MessageHandlingServer[] = [];
  beforeAll(async () => {
    const oslo = await prepare();
    // Fail loudly (never skip) when this Python oslo.messaging is not installed or does not import.
    expect((await checkPeer(oslo)).version).toBe(version);
    peers = pythonPeers(RABBIT_URL, oslo);
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      await s.stop();
      await s.wait();
    }
    peers.killAll();
    // Every Python process of the test ran this peer's oslo.messaging (until() checked each one's path too).
    expect(peers.reportedVersions()).toEqual([version]);
  });

  it(
    `our client -> Python ${version} servers: call, server-targeted call, context, remote errors, NoSuchMethod, version mismatch, server-targeted cast, fanout`,
    () => ourClientToPythonServers({ peers, rpc, servers }),
    120_000,
  );

  it(
    `Python ${version} client -> our servers: call, server-targeted call, context, remote errors both ways, NoSuchMethod, version mismatch, server-targeted cast, fanout`,
    () => pythonClientToOurServers({ peers, rpc, servers }),
    120_000,
  );

  it(`Python ${version} v1 and v2 notifications reach our listener pools`, async () => {
    const topic = uniq('py_notif');
    const t = await notificationTransport();
    const seen: Record<
      string,
      Array<{ priority: string; eventType: string; payload: unknown; publisherId: string }>
    > = { billing: [], audit: [] };
    for (const pool of ['billing', 'audit']) {
      const record = (priority: string) => (_c: unknown, publisherId: string, eventType: string, payload: unknown) =>
        void seen[pool]!.push({ priority, eventType, payload, publisherId });
      const l = getNotificationListener(t, [{ topic }], [{ info: record('info'), warn: record('warn') }], {
        pool: `${topic}_${pool}`,
      });
      await l.start();
      servers.push(l);
    }
    await peers.python([
      'notify',
      '--topic',
      topic,
      '--driver',
      'messagingv2',
      '--priority',
      'info',
      '--event',
      'compute.instance.create.end',
      '--payload',
      '{"id": 2}',
      '--publisher',
      'compute.py',
    ]);
    await peers.python([
      'notify',
      '--topic',
      topic,
      '--driver',
      'messaging',
      '--priority',
      'warn',
      '--event',
      'compute.instance.v1',
      '--payload',
      '{"id": 1}',
      '--publisher',
      'compute.py',
    ]);
    await expect.poll(() => seen['billing']!.length + seen['audit']!.length, { timeout: 20_000 }).toBe(4);
    for (const pool of ['billing', 'audit']) {
      expect(seen[pool]!.sort((a, b) => a.priority.localeCompare(b.priority))).toEqual([
        { priority: 'info', eventType: 'compute.instance.create.end', payload: { id: 2 }, publisherId: 'compute.py' },
        { priority: 'warn', eventType: 'compute.instance.v1', payload: { id: 1 }, publisherId: 'compute.py' },
      ]);
    }
  }, 90_000);

  it(`Python ${version} notification contexts (plain dict, RequestContext, redactable RequestContext) reach our listener as ${version} sends them`, async () => {
    const topic = uniq('py_ctxt');
    const t = await notificationTransport();
    const seen: Array<{ eventType: string; ctxt: Record<string, unknown> }> = [];
    const l = getNotificationListener(
      t,
      [{ topic }],
      [{ info: (ctxt: Record<string, unknown>, _p: string, eventType: string) => void seen.push({ eventType, ctxt }) }],
    );
    await l.start();
    servers.push(l);
    for (const kind of ['dict', 'request', 'redactable']) {
      await peers.python([
        'notify',
        '--topic',
        topic,
        '--driver',
        'messagingv2',
        '--priority',
        'info',
        '--event',
        `ctxt.${kind}`,
        '--context-kind',
        kind,
      ]);
    }
    await expect.poll(() => seen.length, { timeout: 20_000 }).toBe(3);
    const ctxt = (kind: string) => seen.find((s) => s.eventType === `ctxt.${kind}`)!.ctxt;
    if (version === '14.0.3') {
      // 14.0.3 keeps the safe keys (the same list as our notifier's): a dict as those keys, a RequestContext
      // rebuilt from them, whose to_dict() then has every field with the token reset to None.
      expect(ctxt('dict')).toEqual({ user_id: 'py-user', project_id: 'py-project' });
      for (const kind of ['request', 'redactable']) {
        expect(ctxt(kind)).toMatchObject({
          user: 'py-user',
          project_id: 'py-project',
          roles: ['reader'],
          is_admin: false,
          auth_token: null,
        });
        expect(JSON.stringify(ctxt(kind))).not.toContain('py-secret-token');
      }
    } else {
      // Since 14.4 a plain dict is dropped ({} on the wire) and a RequestContext is sent as its redacted_copy();
      // Debian's oslo.context 5.0.0 has no redacted_copy, so 18.1 sends {} for a plain RequestContext too.
      expect(ctxt('dict')).toEqual({});
      expect(ctxt('request')).toEqual({});
      const redacted = ctxt('redactable');
      // RequestContext.to_dict() names the user `user` (oslo.context 5.0.0, as newer ones).
      expect(redacted).toMatchObject({ user: 'py-user', project_id: 'py-project', roles: ['reader'], is_admin: false });
      expect(redacted['auth_token'] ?? null).toBeNull();
      expect(JSON.stringify(redacted)).not.toContain('py-secret-token');
    }
  }, 90_000);

  it(`our v1 and v2 notifications reach Python ${version} listener pools, with our safe-key context filter`, async () => {
    const topic = uniq('ts_notif');
    const listeners = ['billing', 'audit'].map((pool) =>
      peers.peer(['listen', '--topic', topic, '--pool', `${topic}_${pool}`]),
    );
    for (const l of listeners) await l.until((x) => x.some((y) => y['ready']), 'a Python listener');
    const t = await notificationTransport();
    await new Notifier(t, { publisherId: 'compute.ts', driver: 'messagingv2', topics: [topic] }).info(
      { user_id: 'u1', auth_token: 'secret' },
      'ts.v2',
      { n: 2 },
    );
    await new Notifier(t, { publisherId: 'compute.ts', driver: 'messaging', topics: [topic] }).error(
      { user_id: 'u1' },
      'ts.v1',
      { n: 1 },
    );
    for (const l of listeners) {
      await l.until((x) => x.filter((y) => y['event_type']).length >= 2, 'two notifications');
      const events = l.lines.filter((y) => y['event_type']);
      expect(events.map((e) => [e['priority'], e['event_type'], e['publisher_id'], e['payload']]).sort()).toEqual([
        ['error', 'ts.v1', 'compute.ts', { n: 1 }],
        ['info', 'ts.v2', 'compute.ts', { n: 2 }],
      ]);
      // auth_token never leaves our notifier; Python's listener adds client_timeout when it unpacks a context.
      expect(events.find((e) => e['event_type'] === 'ts.v2')!['ctxt']).toEqual({ user_id: 'u1', client_timeout: null });
    }
  }, 90_000);
});
