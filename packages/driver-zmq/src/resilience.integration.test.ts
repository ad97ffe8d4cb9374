// Servers that restart, vanish mid-call, are killed without unregistering or are stopped (SIGSTOP: the
// process keeps its TCP connections but never answers), found through the real Redis of this machine.
// Every server and the client run in their own processes under the testkit fault harness, with Node's
// defaults: a run fails if a process dies, prints an unhandled rejection or an uncaught exception, or
// if any call settles after its timeout (+1 s). The client's transport lives through every fault.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, Target } from '@oslo-messaging/core';
import { RedisMatchmaker } from '@oslo-messaging/matchmaker-redis';
import { killServer, notes, processPool, stopServer, type ClientProcess } from './__fixtures__/processes.js';

const REDIS = process.env['OSLO_TEST_REDIS'] ?? '127.0.0.1:6379';
// Entries outlive a killed server by 60 s, so the client must cope with a stale one.
const URL_ = `zmq+redis://${REDIS}/?rpc_zmq_bind_address=127.0.0.1&zmq_target_expire=60&zmq_connect_timeout=0.3&rpc_ack_timeout_base=1&zmq_host_cache_ttl=0.2`;
const uniq = (p: string) => `${p}_${randomUUID().slice(0, 8)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const pool = processPool(URL_);
afterEach(() => pool.killAll());
const server = (topic: string, name: string) => pool.server(topic, name);
const client = () => pool.client();
const settledAfter = (c: ClientProcess, id: string, t: number) =>
  c.settled(id).filter((r) => Number(r['startedAt']) >= t);

describe('zmq: servers that come and go (each in its own process)', () => {
  it('a server killed without unregistering is skipped, and its restarted successor is found without restarting the client', async () => {
    const topic = uniq('restart');
    const first = await server(topic, 'a');
    const c = await client();
    expect(await c.batch(1, { topic, timeout: 10 })).toMatchObject({ ok: 1, byPid: { [first.pid]: 1 } });

    await killServer(first);
    const mm = RedisMatchmaker.connect(
      [{ host: REDIS.split(':')[0]!, port: Number(REDIS.split(':')[1]) }],
      2000,
      silentLogger,
    );
    try {
      // The dead server's entry is still there (it could not unregister)...
      expect(await mm.getHosts(new Target({ topic }), 'ROUTER')).toContain(first.address);
      const second = await server(topic, 'a');
      expect(second.address).not.toBe(first.address);
      // ...yet every call and cast reaches the new process.
      expect(await c.batch(10, { topic, timeout: 10 })).toMatchObject({
        ok: 10,
        failed: 0,
        byPid: { [second.pid]: 10 },
      });
      expect(await c.batch(10, { kind: 'cast', topic })).toMatchObject({ ok: 10, failed: 0 });
      await expect.poll(() => notes(second), { timeout: 5000 }).toBe(10);

      // A graceful stop unregisters at once (and the server exits cleanly by itself).
      await stopServer(second);
      expect(await mm.getHosts(new Target({ topic }), 'ROUTER')).not.toContain(second.address);
    } finally {
      await mm.close();
    }
    await c.exit();
  }, 60_000);

  it('a server that vanishes mid-call: the call fails with MessagingTimeout (fast with call monitoring) and later calls go to the survivor', async () => {
    const topic = uniq('vanish');
    const doomed = await server(topic, 'doomed');
    const c = await client();
    const pending = c.batch(1, {
      topic,
      server: 'doomed',
      timeout: 30,
      callMonitorTimeout: 1,
      method: 'slow',
      args: { ms: 20_000 },
    });
    await sleep(300);
    await killServer(doomed);
    const tally = await pending;
    expect(tally).toMatchObject({ ok: 0, failed: 1, errors: { MessagingTimeout: 1 } });
    expect(Number(c.settled(tally.id)[0]!['elapsedMs'])).toBeLessThan(5000);

    const survivor = await server(topic, 'survivor');
    expect(await c.batch(5, { topic, timeout: 10 })).toMatchObject({ ok: 5, byPid: { [survivor.pid]: 5 } });
    await c.exit();
    await stopServer(survivor);
  }, 60_000);

  it('a call to a server that never comes back fails at its timeout with a MessagingTimeout that says why', async () => {
    const topic = uniq('gone');
    const gone = await server(topic, 'gone');
    await killServer(gone);
    const c = await client();
    const tally = await c.batch(1, { topic, timeout: 2 });
    expect(tally).toMatchObject({ failed: 1, errors: { MessagingTimeout: 1 } });
    const [settled] = c.settled(tally.id);
    expect(String(settled!['message'])).toContain(`No live server for topic ${topic}`);
    expect(Number(settled!['elapsedMs'])).toBeGreaterThanOrEqual(1900);
    await c.exit();
  }, 30_000);

  it('SIGKILL of one of two servers under load: every call settles by its timeout, the survivor takes over at once, and the restarted server gets calls again', async () => {
    const topic = uniq('kill_load');
    const a = await server(topic, 'a');
    const b = await server(topic, 'b');
    const c = await client();
    const load = await c.load({ topic, timeout: 3, concurrency: 4, intervalMs: 10 });
    await c.waitForReply({ id: load.id, pid: a.pid });
    await c.waitForReply({ id: load.id, pid: b.pid });

    const killedAt = Date.now();
    await killServer(a);
    await sleep(2000);
    const a2 = await server(topic, 'a');
    const restartedAt = Date.now();
    await c.waitForReply({ id: load.id, pid: a2.pid, after: restartedAt });
    await c.waitForReply({ id: load.id, pid: b.pid, after: restartedAt });
    const tally = await load.stop();

    // Calls in flight on the killed server may fail (MessagingTimeout or MessageDeliveryFailure, by
    // their deadline: checked at exit); once the loss is seen (well within a second), none does.
    expect(Object.keys(tally.errors).filter((e) => e !== 'MessagingTimeout' && e !== 'MessageDeliveryFailure')).toEqual(
      [],
    );
    const later = settledAfter(c, load.id, killedAt + 1000);
    expect(later.length).toBeGreaterThan(20);
    expect(later.filter((r) => r['ok'] !== true)).toEqual([]);
    await c.exit();
    await stopServer(a2);
    await stopServer(b);
  }, 60_000);

  it('SIGSTOP of the only server: calls fail with MessagingTimeout by their timeout; after SIGCONT they succeed again', async () => {
    const topic = uniq('stop_one');
    const s = await server(topic, 's');
    const c = await client();
    const load = await c.load({ topic, timeout: 2, concurrency: 2, intervalMs: 20 });
    await c.waitForReply({ id: load.id, pid: s.pid });

    s.run.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    await sleep(5000);
    s.run.child.kill('SIGCONT');
    const resumedAt = Date.now();
    await c.waitForReply({ id: load.id, pid: s.pid, after: resumedAt + 100 }, 15_000);
    const tally = await load.stop();

    expect(tally.errors).toEqual({ MessagingTimeout: expect.any(Number) });
    // Every call that started while the server was stopped, and could not finish before it resumed, failed.
    const stuck = c
      .settled(load.id)
      .filter((r) => Number(r['startedAt']) >= stoppedAt + 50 && Number(r['startedAt']) + 2000 < resumedAt);
    expect(stuck.length).toBeGreaterThan(0);
    expect(stuck.every((r) => r['ok'] === false && r['error'] === 'MessagingTimeout')).toBe(true);
    await c.exit();
    await stopServer(s);
  }, 60_000);

  it('SIGSTOP of one of two servers: every call still succeeds (re-sent to the other after the ACK timeout), and the stopped one serves again after SIGCONT', async () => {
    const topic = uniq('stop_two');
    const a = await server(topic, 'a');
    const b = await server(topic, 'b');
    const c = await client();
    const load = await c.load({ topic, timeout: 4, concurrency: 4, intervalMs: 10 });
    await c.waitForReply({ id: load.id, pid: a.pid });
    await c.waitForReply({ id: load.id, pid: b.pid });

    a.run.child.kill('SIGSTOP');
    await sleep(3000);
    a.run.child.kill('SIGCONT');
    const resumedAt = Date.now();
    await c.waitForReply({ id: load.id, pid: a.pid, after: resumedAt + 100 }, 15_000);
    const tally = await load.stop();

    expect(tally).toMatchObject({ failed: 0, errors: {} });
    expect(tally.ok).toBeGreaterThan(50);
    await c.exit();
    await stopServer(a);
    await stopServer(b);
  }, 60_000);
});
