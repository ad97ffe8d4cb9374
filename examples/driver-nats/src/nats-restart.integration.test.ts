// Stored casts and notifications survive a restart of the NATS server itself (JetStream keeps them on disk),
// and the driver reconnects by itself. Runs its own nats-server on a spare port with its own store, so the
// shared one on 4222 is never touched.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  getNotificationListener,
  getNotificationTransport,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  Notifier,
  silentLogger,
  type Transport,
} from '@oslo-messaging/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNats } from '../test/ensure-nats.js';

const PORT = 14_222;
const url = `nats://127.0.0.1:${PORT}/restart?nats_retry_interval=0.2`;
const store = mkdtempSync(join(tmpdir(), 'oslo-nats-restart-'));
const natsBin = () =>
  spawnSync('bash', ['-c', 'command -v nats-server || echo /usr/sbin/nats-server'], { encoding: 'utf8' }).stdout.trim();
let nats: ChildProcess | undefined;

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => (s.destroy(), resolve(ok));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
const until = async (check: () => boolean | Promise<boolean>, what: string, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
async function startNats(): Promise<void> {
  nats = spawn(natsBin(), ['-a', '127.0.0.1', '-p', String(PORT), '-js', '-sd', store], { stdio: 'ignore' });
  await until(() => portOpen(PORT), 'nats-server to listen');
}
async function stopNats(): Promise<void> {
  const p = nats;
  nats = undefined;
  if (!p || p.exitCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
}

const open: Transport[] = [];
// ensureNats installs nats-server if needed (and starts the shared one, which other test files use).
beforeAll(async () => {
  await ensureNats();
  await startNats();
}, 60_000);
afterAll(async () => {
  await Promise.all(open.map((t) => t.cleanup()));
  await stopNats();
  rmSync(store, { recursive: true, force: true });
});

describe('a NATS server restart', () => {
  it('keeps stored casts and notifications, and the driver reconnects', async () => {
    const rpc = await getRpcTransport({ url, logger: silentLogger });
    const notif = await getNotificationTransport({ url, logger: silentLogger });
    open.push(rpc, notif);
    const casts: number[] = [];
    const notes: number[] = [];
    const topic = `restart_${process.pid}`;

    // Declare the queues (durable consumers), then stop consuming: messages must wait for us.
    const server = getRpcServer(rpc, { topic, server: 'host1' }, [
      { note: (_c: unknown, { n }: { n: number }) => void casts.push(n), ping: () => 'pong' },
    ]);
    const listener = getNotificationListener(
      notif,
      [{ topic }],
      [{ info: (_c: unknown, _p: string, _e: string, payload: { n: number }) => void notes.push(payload.n) }],
      { pool: 'billing' },
    );
    await server.start();
    await listener.start();
    await server.stop();
    await server.wait();
    await listener.stop();
    await listener.wait();

    await getRpcClient(rpc, { topic }).cast({}, 'note', { n: 1 });
    await new Notifier(notif, { publisherId: 'compute.host1', topics: [topic] }).info(
      {},
      'compute.instance.create.end',
      { n: 2 },
    );

    await stopNats();
    await startNats();

    // The same transports: the driver reconnected on its own.
    await server.start();
    await listener.start();
    await until(() => casts.length === 1 && notes.length === 1, 'the stored cast and notification');
    expect(casts).toEqual([1]);
    expect(notes).toEqual([2]);
    expect(await getRpcClient(rpc, { topic }, { timeout: 10 }).call({}, 'ping')).toBe('pong');
    await server.stop();
    await server.wait();
    await listener.stop();
    await listener.wait();
  }, 60_000);

  it('a running server and listener keep consuming across the restart', async () => {
    const rpc = await getRpcTransport({ url, logger: silentLogger });
    const notif = await getNotificationTransport({ url, logger: silentLogger });
    open.push(rpc, notif);
    const casts: number[] = [];
    const notes: number[] = [];
    const topic = `running_${process.pid}`;
    const server = getRpcServer(rpc, { topic, server: 'host1' }, [
      { note: (_c: unknown, { n }: { n: number }) => void casts.push(n), ping: () => 'pong' },
    ]);
    const listener = getNotificationListener(
      notif,
      [{ topic }],
      [{ info: (_c: unknown, _p: string, _e: string, payload: { n: number }) => void notes.push(payload.n) }],
    );
    await server.start();
    await listener.start();

    await stopNats();
    // Sent while NATS is down: the cast and the notification are retried until NATS is back.
    const cast = getRpcClient(rpc, { topic }).cast({}, 'note', { n: 1 });
    const notified = new Notifier(notif, { publisherId: 'p', topics: [topic] }).info({}, 'evt', { n: 2 });
    await new Promise((r) => setTimeout(r, 500));
    await startNats();
    await Promise.all([cast, notified]);

    await until(() => casts.length === 1 && notes.length === 1, 'the cast and notification sent during the outage');
    await getRpcClient(rpc, { topic }).cast({}, 'note', { n: 3 });
    await until(() => casts.length === 2, 'a cast after the restart');
    expect(casts).toEqual([1, 3]);
    expect(notes).toEqual([2]);
    expect(await getRpcClient(rpc, { topic }, { timeout: 10 }).call({}, 'ping')).toBe('pong');
    await server.stop();
    await server.wait();
    await listener.stop();
    await listener.wait();
  }, 60_000);
});
