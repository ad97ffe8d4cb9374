// Redis (the matchmaker) stops under traffic and comes back empty. Servers and clients run in their
// own processes under the testkit fault harness (Node's defaults: a process that dies, prints an
// unhandled rejection or an unlistened 'error', or a call that settles after its timeout fails the
// test). While Redis is down, running clients keep calling the servers they know, a lookup nobody
// cached fails by the call's timeout, a server can start, and a client can clean up and exit; once
// Redis is back (empty), every server re-announces itself on reconnecting and the same client
// objects reach all of them. A frozen Redis (SIGSTOP) is survived the same way, and shutdowns do not
// wait for it. Disruptive (run last, alone); Redis is always restarted (and resumed).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { processPool, stopServer } from './__fixtures__/processes.js';

const run = promisify(execFile);
// zmq_target_update stays at its default (180 s): recovery must not wait for the periodic refresh.
const URL_ =
  'zmq+redis://127.0.0.1:6379/?rpc_zmq_bind_address=127.0.0.1&zmq_host_cache_ttl=0.2&rpc_ack_timeout_base=1&zmq_connect_timeout=0.5';
const START_REDIS = [
  '--daemonize',
  'yes',
  '--bind',
  '127.0.0.1',
  '-::1',
  '--port',
  '6379',
  '--save',
  '',
  '--appendonly',
  'no',
  '--dir',
  '/var/lib/redis',
  '--logfile',
  '/var/log/redis/ci.log',
];
const uniq = (p: string) => `${p}_${randomUUID().slice(0, 8)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function redisUp(): Promise<boolean> {
  try {
    return (await run('redis-cli', ['-p', '6379', 'ping'], { timeout: 2000 })).stdout.trim() === 'PONG';
  } catch {
    return false;
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function stopRedis(): Promise<void> {
  await run('redis-cli', ['-p', '6379', 'shutdown', 'nosave'], { timeout: 5000 }).catch(() => undefined);
  await until(async () => !(await redisUp()), 10_000, 'Redis to stop');
}

async function startRedis(): Promise<void> {
  if (await redisUp()) return;
  await run('redis-server', START_REDIS, { timeout: 10_000 });
  await until(redisUp, 10_000, 'Redis to start');
}

const pool = processPool(URL_);
afterEach(async () => {
  pool.killAll();
  await startRedis();
});
afterAll(startRedis);
const server = (topic: string, name: string) => pool.server(topic, name);
const client = () => pool.client();

async function redisPid(): Promise<number> {
  const { stdout } = await run('redis-cli', ['-p', '6379', 'info', 'server'], { timeout: 2000 });
  const m = /process_id:(\d+)/.exec(stdout);
  if (!m) throw new Error(`no process_id in ${stdout}`);
  return Number(m[1]);
}

describe('zmq: Redis stops and comes back empty', () => {
  it('calls keep flowing to known servers, unknown targets fail by their timeout, and everything is found again afterwards without new client objects', async () => {
    const known = uniq('outage_known');
    const unknown = uniq('outage_unknown');
    const late = uniq('outage_late');
    const a = await server(known, 'a');
    const b = await server(known, 'b');
    const u = await server(unknown, 'u');
    const c = await client();
    const leaving = await client();
    expect(await leaving.batch(2, { topic: known, timeout: 5 })).toMatchObject({ ok: 2 });
    const load = await c.load({ topic: known, timeout: 3, concurrency: 2, intervalMs: 20 });
    await c.waitForReply({ id: load.id, pid: a.pid });
    await c.waitForReply({ id: load.id, pid: b.pid });

    let stoppedAt = 0;
    try {
      await stopRedis();
      stoppedAt = Date.now();
      // A target this client never looked up cannot be found: the call fails by its timeout.
      const blind = await c.batch(2, { topic: unknown, timeout: 2, concurrency: 2 });
      expect(blind).toMatchObject({ ok: 0, failed: 2, errors: { MessagingTimeout: 2 } });
      // Casts to known servers still go (and are acknowledged).
      expect(await c.batch(10, { kind: 'cast', topic: known, timeout: 5 })).toMatchObject({ ok: 10, failed: 0 });
      // A server can start while Redis is down (its registration is retried), and a client can
      // clean up and exit without waiting for Redis.
      const l = await server(late, 'l');
      await leaving.exit(10_000);
      await sleep(1000);
      await startRedis();

      // Redis came back empty: the servers re-announce themselves on reconnecting, and the same
      // client reaches the servers of every target, including the ones it could not find before.
      const found = await c.batch(4, { topic: unknown, timeout: 10, concurrency: 2 });
      expect(found).toMatchObject({ ok: 4, failed: 0, byPid: { [u.pid]: 4 } });
      expect(await c.batch(4, { topic: late, timeout: 10 })).toMatchObject({ ok: 4, failed: 0, byPid: { [l.pid]: 4 } });
      const tally = await load.stop();
      // Not one call to the known servers failed through the outage and the recovery.
      expect(tally).toMatchObject({ failed: 0, errors: {} });
      expect(c.settled(load.id).filter((r) => Number(r['startedAt']) > stoppedAt).length).toBeGreaterThan(20);
      await c.exit();
      for (const s of [a, b, u, l]) await stopServer(s);
    } finally {
      await startRedis();
    }
  }, 90_000);

  it('Redis frozen (SIGSTOP: connections stay up, nothing answers): calls keep flowing, unknown targets fail by their timeout, shutdowns do not hang, and all is found after SIGCONT', async () => {
    const known = uniq('frozen_known');
    const unknown = uniq('frozen_unknown');
    const a = await server(known, 'a');
    const u = await server(unknown, 'u');
    const z = await server(uniq('frozen_leaving'), 'z');
    const c = await client();
    const leaving = await client();
    expect(await leaving.batch(2, { topic: known, timeout: 5 })).toMatchObject({ ok: 2 });
    const load = await c.load({ topic: known, timeout: 3, concurrency: 2, intervalMs: 20 });
    await c.waitForReply({ id: load.id, pid: a.pid });

    const pid = await redisPid();
    let frozenAt = 0;
    try {
      process.kill(pid, 'SIGSTOP');
      frozenAt = Date.now();
      const blind = await c.batch(2, { topic: unknown, timeout: 2, concurrency: 2 });
      expect(blind).toMatchObject({ ok: 0, failed: 2, errors: { MessagingTimeout: 2 } });
      // A client and a server shut down without waiting for Redis's command timeout (10 s).
      const began = Date.now();
      await leaving.exit(10_000);
      const clientMs = Date.now() - began;
      await stopServer(z);
      const serverMs = Date.now() - began - clientMs;
      // Unbounded, the client's QUIT would wait for the 10 s command timeout, and the server's stop for
      // its unregistration and then its QUIT (20 s).
      expect(clientMs, `client ${clientMs} ms, server ${serverMs} ms`).toBeLessThan(5000);
      expect(serverMs, `client ${clientMs} ms, server ${serverMs} ms`).toBeLessThan(8000);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const found = await c.batch(4, { topic: unknown, timeout: 10, concurrency: 2 });
    expect(found).toMatchObject({ ok: 4, failed: 0, byPid: { [u.pid]: 4 } });
    const tally = await load.stop();
    expect(tally).toMatchObject({ failed: 0, errors: {} });
    expect(c.settled(load.id).filter((r) => Number(r['startedAt']) > frozenAt).length).toBeGreaterThan(20);
    await c.exit();
    for (const s of [a, u]) await stopServer(s);
  }, 90_000);
});
