// A broker that freezes (SIGSTOP, a hung VM) keeps accepting TCP connections and never answers: a
// connection that dials it waits for the AMQP handshake until its 10 s socket timeout. Staged with a
// proxy in front of the real RabbitMQ that stops forwarding when frozen: one connection learns of the
// freeze through missed heartbeats, and the driver's other connections then dial the live host first.
import { afterEach, describe, expect, it } from 'vitest';
import { TransportURL, type Logger } from '@oslo-messaging/core';
import { resolveOptions } from '@oslo-messaging/core/spi';
import { ManagedConnection } from './connection.js';
import { RABBIT_OPTIONS } from './options.js';
import { UnresponsiveHosts } from './unresponsive-hosts.js';
import { FreezingProxy } from './__fixtures__/freezing-proxy.js';

const warnings: string[] = [];
const logger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (m) => void warnings.push(m),
  error: (m) => void warnings.push(m),
};
const opts = resolveOptions('oslo_messaging_rabbit', RABBIT_OPTIONS, {
  code: { heartbeat_timeout_threshold: 1, heartbeat_rate: 4 },
});

let proxy: FreezingProxy | undefined;
const connections: ManagedConnection[] = [];
afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.close({ now: true })));
  await proxy?.close();
  warnings.length = 0;
});

async function until(what: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms; warnings: ${warnings.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("a frozen broker host, learned of by one of the driver's connections", () => {
  // Without the shared memory (a fresh one per connection), 7 of these 8 connections dialled the
  // frozen host first and the test took 11 s.
  it('is dialled last by the others: each connects at its first attempt', async () => {
    proxy = new FreezingProxy();
    const port = await proxy.listen();
    const memory = new UnresponsiveHosts(30_000);
    const frozenOnly = TransportURL.parse(`rabbit://guest:guest@127.0.0.1:${port}/`);
    const victim = new ManagedConnection(frozenOnly, opts, logger, 'victim', memory);
    connections.push(victim);
    await victim.ready();

    proxy.frozen = true;
    await until(() => warnings.some((w) => w.includes('heartbeats missed')), 5000);
    await victim.close({ now: true });
    expect(memory.has(`127.0.0.1:${port}`)).toBe(true);

    const dialsBefore = proxy.accepted;
    const both = TransportURL.parse(`rabbit://guest:guest@127.0.0.1:${port},guest:guest@127.0.0.1:5672/`);
    const started = Date.now();
    const others = Array.from({ length: 8 }, (_, i) => new ManagedConnection(both, opts, logger, `other-${i}`, memory));
    connections.push(...others);
    await Promise.all(others.map((c) => c.ready()));
    expect(proxy.accepted - dialsBefore).toBe(0);
    // A dial of the frozen host would cost the 10 s socket timeout.
    expect(Date.now() - started).toBeLessThan(5000);
  }, 30_000);

  it('is remembered when a connection attempt to it times out, and forgotten once a connection to it succeeds', async () => {
    proxy = new FreezingProxy();
    proxy.frozen = true;
    const port = await proxy.listen();
    const memory = new UnresponsiveHosts(30_000);
    const url = TransportURL.parse(`rabbit://guest:guest@127.0.0.1:${port}/`);
    const c = new ManagedConnection(url, { ...opts, rabbit_retry_interval: 0 }, logger, 'frozen', memory);
    connections.push(c);
    // One cycle over the only host: its handshake times out after amqplib's 10 s socket timeout.
    await expect(c.ready(0)).rejects.toThrow(/ETIMEDOUT/);
    expect(memory.has(`127.0.0.1:${port}`)).toBe(true);
    proxy.frozen = false;
    await c.ready();
    expect(memory.has(`127.0.0.1:${port}`)).toBe(false);
  }, 40_000);
});
