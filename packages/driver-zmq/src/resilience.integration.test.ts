// Servers that restart, vanish mid-call or are killed without unregistering, found through the real
// Redis of this machine; each server runs in its own process so it can really die.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { getRpcClient, getRpcTransport, MessagingTimeout, Target, type Logger, type Transport } from '@oslo-messaging/core';
import { RedisMatchmaker } from '@oslo-messaging/matchmaker-redis';

const REDIS = process.env['OSLO_TEST_REDIS'] ?? '127.0.0.1:6379';
// Entries outlive a killed server by 60 s, so the client must cope with a stale one.
const URL_ = `zmq+redis://${REDIS}/?rpc_zmq_bind_address=127.0.0.1&zmq_target_expire=60&zmq_connect_timeout=0.3&rpc_ack_timeout_base=1&zmq_host_cache_ttl=0.2`;
const SERVER = fileURLToPath(new URL('./__fixtures__/zmq-server.mjs', import.meta.url));
const uniq = (p: string) => `${p}_${randomUUID().slice(0, 8)}`;

const children: ChildProcessWithoutNullStreams[] = [];
const transports: Transport[] = [];

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const rec = (m: string) => void lines.push(m);
  return { lines, debug: rec, info: rec, warn: rec, error: rec };
}

/** Starts a server process; resolves with it and its advertised address once it is registered. */
async function serverProcess(topic: string, server: string): Promise<{ child: ChildProcessWithoutNullStreams; address: string; notes: string[] }> {
  const child = spawn(process.execPath, [SERVER, URL_, topic, server]);
  children.push(child);
  const notes: string[] = [];
  let out = '';
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server ${server} did not start: ${out}`)), 15_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of d.toString().split('\n')) if (line.startsWith('note ')) notes.push(line.slice(5));
      const m = /ready (\S+)/.exec(out);
      if (m) (clearTimeout(timer), resolve(m[1]!));
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`server ${server} exited (${code}): ${out}`)));
  });
  return { child, address, notes };
}

const exited = (child: ChildProcessWithoutNullStreams) => new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));

async function transport(logger?: Logger): Promise<Transport> {
  const t = await getRpcTransport({ url: URL_, ...(logger ? { logger } : {}) });
  transports.push(t);
  return t;
}

afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await Promise.all(transports.splice(0).map((t) => t.cleanup()));
});

describe('zmq: servers that come and go', () => {
  it('a server killed without unregistering is skipped, and its restarted successor is found without restarting the client', async () => {
    const topic = uniq('restart');
    const first = await serverProcess(topic, 'a');
    const client = getRpcClient(await transport(), { topic }, { timeout: 10 });
    expect(await client.call({}, 'whoami')).toMatchObject({ server: 'a' });

    first.child.kill('SIGKILL');
    await exited(first.child);
    const mm = RedisMatchmaker.connect([{ host: REDIS.split(':')[0]!, port: Number(REDIS.split(':')[1]) }], 2000, recordingLogger());
    try {
      // The dead server's entry is still there (it could not unregister)...
      expect(await mm.getHosts(new Target({ topic }), 'ROUTER')).toContain(first.address);
      const second = await serverProcess(topic, 'a');
      expect(second.address).not.toBe(first.address);
      // ...yet every call and cast reaches the new process.
      for (let i = 0; i < 10; i++) expect(await client.call({}, 'whoami')).toMatchObject({ server: 'a', pid: second.child.pid });
      for (let i = 0; i < 10; i++) await client.cast({}, 'note', { v: i });
      await expect.poll(() => second.notes.length, { timeout: 5000 }).toBe(10);

      // A graceful stop unregisters at once.
      second.child.kill('SIGTERM');
      await exited(second.child);
      expect(await mm.getHosts(new Target({ topic }), 'ROUTER')).not.toContain(second.address);
    } finally {
      await mm.close();
    }
  }, 60_000);

  it('a server that vanishes mid-call: the call fails with MessagingTimeout (fast with call monitoring) and later calls go to the survivor', async () => {
    const topic = uniq('vanish');
    const doomed = await serverProcess(topic, 'doomed');
    const t = await transport();
    const client = getRpcClient(t, { topic, server: 'doomed' }, { timeout: 30, callMonitorTimeout: 1 });
    const began = Date.now();
    const call = client.call({}, 'slow', { ms: 20_000 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300));
    doomed.child.kill('SIGKILL');
    const err = await call;
    expect(err).toBeInstanceOf(MessagingTimeout);
    expect(Date.now() - began).toBeLessThan(5000);

    const survivor = await serverProcess(topic, 'survivor');
    const any = getRpcClient(t, { topic }, { timeout: 10 });
    for (let i = 0; i < 5; i++) expect(await any.call({}, 'whoami')).toMatchObject({ server: 'survivor', pid: survivor.child.pid });
  }, 60_000);

  it('a call to a server that never comes back fails with a MessagingTimeout that says why', async () => {
    const topic = uniq('gone');
    const gone = await serverProcess(topic, 'gone');
    gone.child.kill('SIGKILL');
    await exited(gone.child);
    const err = await getRpcClient(await transport(), { topic }, { timeout: 2 }).call({}, 'whoami').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MessagingTimeout);
    expect((err as Error).message).toContain(`No live server for topic ${topic}`);
  }, 30_000);
});
