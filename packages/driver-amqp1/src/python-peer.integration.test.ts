// Interoperability with the real Python oslo.messaging 14 `amqp` driver (Proton + pyngus, run with
// /usr/bin/python3) through a real AMQP 1.0 broker, both directions: calls, server-targeted calls,
// casts, fanout, remote errors, NoSuchMethod, version mismatch, v1/v2 notifications.
//
// Against Debian's 14.0.3 only: upstream removed the AMQP 1.0 driver in 15.0, so oslo.messaging 18.1
// (the other peer of the rabbit interop tests) has no `amqp` driver to talk to.
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
import { checkPeer, DEBIAN_PEER, pythonPeers } from '../../../test-fixtures/oslo-peer/python-peer.js';
import { ourClientToPythonServers, pythonClientToOurServers } from '../../../test-fixtures/oslo-peer/rpc-interop.js';
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
  peers = pythonPeers(url, DEBIAN_PEER);
  // Fail loudly (never skip) when the Python peer or Proton is not installed.
  expect((await checkPeer(DEBIAN_PEER)).version).toBe('14.0.3');
  expect(
    await peers.installed(),
    'Python oslo.messaging 14 with python3-pyngus and python3-qpid-proton must be installed',
  ).toBe(0);
});
afterEach(async () => {
  for (const s of servers.splice(0)) {
    await s.stop();
    await s.wait();
  }
  peers.killAll();
  // Every Python process of the test ran Debian's 14.0.3 (until() checked each one's path too).
  expect(peers.reportedVersions()).toEqual(['14.0.3']);
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

describe('amqp1: our client -> Python oslo.messaging 14.0.3 server', () => {
  it(
    'call, server-targeted call, context, remote errors, NoSuchMethod, version mismatch, server-targeted cast, fanout',
    () => ourClientToPythonServers({ peers, rpc, servers }),
    120_000,
  );
});

describe('amqp1: Python oslo.messaging 14.0.3 client -> our server', () => {
  it(
    'call, server-targeted call, context, remote errors both ways, NoSuchMethod, version mismatch, server-targeted cast, fanout',
    () => pythonClientToOurServers({ peers, rpc, servers }),
    120_000,
  );
});

describe('amqp1: notifications across languages (Python oslo.messaging 14.0.3)', () => {
  it('Python v1 and v2 notifications reach our listener', async () => {
    const topic = uniq('py_notif');
    const t = await getNotificationTransport({ url, logger: silentLogger });
    open.push(t);
    const seen: Array<{ priority: string; eventType: string; payload: unknown; publisherId: string }> = [];
    const record = (priority: string) => (_c: unknown, publisherId: string, eventType: string, payload: unknown) =>
      void seen.push({ priority, eventType, payload, publisherId });
    const l = getNotificationListener(t, [{ topic }], [{ info: record('info'), warn: record('warn') }]);
    await l.start();
    servers.push(l);
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
    await listener.until((x) => x.filter((y) => y['event_type']).length >= 2, 'two notifications');
    const events = listener.lines.filter((y) => y['event_type']);
    expect(events.map((e) => [e['priority'], e['event_type'], e['publisher_id'], e['payload']]).sort()).toEqual([
      ['error', 'ts.v1', 'compute.ts', { n: 1 }],
      ['info', 'ts.v2', 'compute.ts', { n: 2 }],
    ]);
    const v2 = events.find((e) => e['event_type'] === 'ts.v2')!['ctxt'] as Record<string, unknown>;
    expect(v2['user_id']).toBe('u1');
    expect(v2['auth_token']).toBeUndefined();
  }, 90_000);
});
