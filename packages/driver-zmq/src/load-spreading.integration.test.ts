// Issue #12: with several RPC server processes on one topic (Redis matchmaker), calls and casts go
// round-robin over every registered server, connecting on demand, instead of sticking to the first
// one connected. Servers and the client each run in their own process, as in production.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { notes, processPool, stopServer } from './__fixtures__/processes.js';

const REDIS = process.env['OSLO_TEST_REDIS'] ?? '127.0.0.1:6379';
const URL_ = `zmq+redis://${REDIS}/?rpc_zmq_bind_address=127.0.0.1&zmq_host_cache_ttl=0.2`;
const uniq = (p: string) => `${p}_${randomUUID().slice(0, 8)}`;

const pool = processPool(URL_);
afterEach(() => pool.killAll());
const server = (topic: string, name: string) => pool.server(topic, name);
const client = () =>
  pool.client(
    process.env['OSLO_ZMQ_DRIVER_MODULE']
      ? { OSLO_ZMQ_DRIVER_MODULE: process.env['OSLO_ZMQ_DRIVER_MODULE'] }
      : undefined,
  );

describe('zmq: load spreading over server processes', () => {
  it('20 calls on a topic with two server processes: each serves its share (sequential, concurrent, casts)', async () => {
    const topic = uniq('spread');
    const a = await server(topic, 'a');
    const b = await server(topic, 'b');
    const c = await client();

    const sequential = await c.batch(20, { topic, timeout: 10 });
    expect(sequential).toMatchObject({ ok: 20, failed: 0 });
    expect(sequential.byPid[a.pid] ?? 0).toBeGreaterThanOrEqual(8);
    expect(sequential.byPid[b.pid] ?? 0).toBeGreaterThanOrEqual(8);

    const concurrent = await c.batch(40, { topic, timeout: 10, concurrency: 10 });
    expect(concurrent).toMatchObject({ ok: 40, failed: 0 });
    expect(concurrent.byPid[a.pid] ?? 0).toBeGreaterThanOrEqual(16);
    expect(concurrent.byPid[b.pid] ?? 0).toBeGreaterThanOrEqual(16);

    const casts = await c.batch(20, { kind: 'cast', topic, timeout: 10 });
    expect(casts).toMatchObject({ ok: 20, failed: 0 });
    await expect.poll(() => notes(a) + notes(b), { timeout: 5000 }).toBe(20);
    expect(notes(a)).toBeGreaterThanOrEqual(8);
    expect(notes(b)).toBeGreaterThanOrEqual(8);

    await c.exit();
    await stopServer(a);
    await stopServer(b);
  }, 60_000);

  it('a server that joins a busy topic gets its share at once (connected on demand), without a new client', async () => {
    const topic = uniq('join');
    const a = await server(topic, 'a');
    const c = await client();
    expect(await c.batch(10, { topic, timeout: 10 })).toMatchObject({ ok: 10, byPid: { [a.pid]: 10 } });

    const b = await server(topic, 'b');
    const d = await server(topic, 'd');
    // The client sees them once its next matchmaker lookup (every zmq_host_cache_ttl, in the
    // background of the calls) has answered...
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const probe = await c.batch(3, { topic, timeout: 10 });
      if ((probe.byPid[b.pid] ?? 0) > 0 && (probe.byPid[d.pid] ?? 0) > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // ...and from then on each gets its share, the new ones included (no connection to them before).
    const after = await c.batch(30, { topic, timeout: 10 });
    expect(after).toMatchObject({ ok: 30, failed: 0 });
    for (const s of [a, b, d]) expect(after.byPid[s.pid] ?? 0, `server ${s.name}`).toBeGreaterThanOrEqual(8);

    await c.exit();
    for (const s of [a, b, d]) await stopServer(s);
  }, 60_000);
});
