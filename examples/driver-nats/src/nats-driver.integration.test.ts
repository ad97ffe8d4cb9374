import { randomUUID } from 'node:crypto';
import {
  getNotificationListener,
  getNotificationTransport,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  MessageUndeliverable,
  Notifier,
  silentLogger,
  type MessageHandlingServer,
  type Transport,
} from '@oslo-messaging/core';
import { fileURLToPath } from 'node:url';
import { assertHealthy, runScenario } from '@oslo-messaging/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureNats } from '../test/ensure-nats.js';
import { token } from './subjects.js';

beforeAll(ensureNats, 60_000);

const uniq = (p: string) => `${p}_${randomUUID().slice(0, 8)}`;
const vhostUrl = () =>
  `nats://127.0.0.1:4222/nats-test-${randomUUID().slice(0, 8)}?nats_consumer_inactive_threshold=60`;
const open: Transport[] = [];
const servers: MessageHandlingServer[] = [];
// No process-level handler here: vitest fails a run on any unhandled rejection, and the no-server case
// runs in a child process with Node's defaults.
afterEach(async () => {
  for (const s of servers.splice(0)) {
    await s.stop();
    await s.wait();
  }
  await Promise.all(open.splice(0).map((t) => t.cleanup()));
});

const rpc = async (url: string) => {
  const t = await getRpcTransport({ url, logger: silentLogger });
  open.push(t);
  return t;
};
const eventually = async (check: () => boolean, what: string) => {
  const until = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('subject tokens', () => {
  it('escape dots, wildcards and anything else that is not a plain word character', () => {
    expect(token('compute')).toBe('compute');
    expect(token('compute.host1')).toBe('compute%2ehost1');
    expect(token('a*b>c d%')).toBe('a%2ab%3ec%20d%25');
    expect(token('é')).toBe('%c3%a9');
  });
});

describe('JetStream: casts and notifications outlive the process that consumes them', () => {
  it('a cast sent while its server is down is served when the server comes back', async () => {
    const url = vhostUrl();
    const topic = uniq('restart');
    const got: unknown[] = [];
    const first = await rpc(url);
    const s1 = getRpcServer(first, { topic, server: 'host1' }, [
      { note: (_c: unknown, { n }: { n: number }) => void got.push(n) },
    ]);
    await s1.start();
    await s1.stop();
    await s1.wait();
    await first.cleanup(); // the server process is gone

    const client = await rpc(url);
    await getRpcClient(client, { topic }).cast({}, 'note', { n: 1 });
    await getRpcClient(client, { topic, server: 'host1' }).cast({}, 'note', { n: 2 });

    const second = await rpc(url); // the server process restarted
    const s2 = getRpcServer(second, { topic, server: 'host1' }, [
      { note: (_c: unknown, { n }: { n: number }) => void got.push(n) },
    ]);
    await s2.start();
    servers.push(s2);
    await eventually(() => got.length === 2, 'both casts');
    expect(got.sort()).toEqual([1, 2]);
  }, 30_000);

  it('notifications wait for their listener pool across a restart', async () => {
    const url = vhostUrl();
    const topic = uniq('notif');
    const got: unknown[] = [];
    const endpoint = {
      info: (_c: unknown, _p: string, _e: string, payload: { n: number }) => void got.push(payload.n),
    };
    const t1 = await getNotificationTransport({ url, logger: silentLogger });
    const l1 = getNotificationListener(t1, [{ topic }], [endpoint], { pool: 'billing' });
    await l1.start();
    await l1.stop();
    await l1.wait();
    await t1.cleanup();

    const t2 = await getNotificationTransport({ url, logger: silentLogger });
    open.push(t2);
    await new Notifier(t2, { publisherId: 'compute.host1', topics: [topic] }).info({}, 'compute.instance.create.end', {
      n: 7,
    });

    const l2 = getNotificationListener(t2, [{ topic }], [endpoint], { pool: 'billing' });
    await l2.start();
    servers.push(l2);
    await eventually(() => got.length === 1, 'the stored notification');
    expect(got).toEqual([7]);
  }, 30_000);
});

describe('the deadline contract', () => {
  it('an atLeastOnce call nobody serves fails at once with MessageUndeliverable', async () => {
    const t = await rpc(vhostUrl());
    const began = Date.now();
    await expect(
      getRpcClient(t, { topic: uniq('nobody') }, { timeout: 10, atLeastOnce: true }).call({}, 'x'),
    ).rejects.toBeInstanceOf(MessageUndeliverable);
    expect(Date.now() - began).toBeLessThan(2_000);
  });

  it('with no NATS server (child process, Node defaults): calls and casts settle by their deadlines, cleanup settles what waits, the process exits', async () => {
    const result = await runScenario(fileURLToPath(new URL('../test/no-server.scenario.mjs', import.meta.url)), {
      killAfterMs: 30_000,
    }).done;
    assertHealthy(result, { slackMs: 600 });
    const outcome = (op: string) => result.settled.find((r) => r.op === op);
    expect(outcome('call')).toMatchObject({ ok: false, error: 'MessagingTimeout' });
    expect(outcome('cast-with-timeout')).toMatchObject({ ok: false });
    for (const op of ['pending-call', 'pending-cast'])
      expect(outcome(op)).toMatchObject({ ok: false, error: 'ClientSendError' });
    const cleaned = result.records.find((r) => r.event === 'cleaned-up');
    expect(cleaned!['ms'] as number).toBeLessThan(2_000);
  });
});
