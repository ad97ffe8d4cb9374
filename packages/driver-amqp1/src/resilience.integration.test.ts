// Failover across hosts, links the broker detaches, and peers that send garbage: the driver moves on to
// the next host, re-attaches its links, rejects malformed messages and keeps serving. Uses its own Proton
// test broker (and RabbitMQ's plugin without disturbing it). An unhandled rejection here fails the run
// (vitest's own handler). The broker dying, freezing or never answering is in amqp1-faults.integration.test.ts,
// in child processes with Node's defaults, where such a rejection would crash the process as it would a service.
import rhea, { type EventContext } from 'rhea';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  silentLogger,
  type MessageHandlingServer,
  type Transport,
} from '@oslo-messaging/core';
import { freePort, startTestBroker, type TestBroker } from './__fixtures__/test-broker.js';

const brokers: TestBroker[] = [];
const open: Transport[] = [];
const servers: MessageHandlingServer[] = [];
const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;

afterEach(async () => {
  for (const s of servers.splice(0)) {
    await s.stop();
    await s.wait();
  }
  await Promise.all(open.splice(0).map((t) => t.cleanup()));
  for (const b of brokers.splice(0)) await b.stop();
});

const driverOptions = { connection_retry_interval: 1, connection_retry_interval_max: 1, link_retry_delay: 1 };

describe("amqp1: failover across the URL's hosts", () => {
  /** A transport whose first dialled host is the URL's first (oslo starts at a random one). */
  const startingAtFirstHost = async (url: string) => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0);
    try {
      const t = await getRpcTransport({ url, logger: silentLogger, driverOptions });
      open.push(t);
      return t;
    } finally {
      random.mockRestore();
    }
  };
  const pingServer = async (t: Transport, topic: string) => {
    const server = getRpcServer(t, { topic, server: 's' }, [{ ping: (_c: unknown, { n }: { n: number }) => n }]);
    await server.start();
    servers.push(server);
  };

  it('a host that refuses connections is skipped for the next one', async () => {
    const port = await freePort();
    brokers.push(await startTestBroker(port));
    const dead = await freePort();
    const topic = uniq('failover');
    await pingServer(await startingAtFirstHost(`amqp://127.0.0.1:${port}/`), topic);
    const client = getRpcClient(
      await startingAtFirstHost(`amqp://127.0.0.1:${dead},127.0.0.1:${port}/`),
      { topic },
      { timeout: 10 },
    );
    expect(await client.call({}, 'ping', { n: 7 })).toBe(7);
  }, 30_000);

  it('each host is dialled with its own credentials, and a refused login moves on to the next host (RabbitMQ)', async () => {
    const topic = uniq('creds');
    const rabbit = '127.0.0.1:5672/?addressing_mode=rabbitmq';
    await pingServer(await startingAtFirstHost(`amqp://guest:guest@${rabbit}`), topic);
    const client = getRpcClient(
      await startingAtFirstHost(`amqp://nobody:wrong@127.0.0.1:5672,guest:guest@${rabbit}`),
      { topic },
      { timeout: 10 },
    );
    expect(await client.call({}, 'ping', { n: 8 })).toBe(8);
  }, 30_000);

  it('failing over to another kind of broker switches the addressing mode and subscribes again (Proton -> RabbitMQ)', async () => {
    const port = await freePort();
    const proton = await startTestBroker(port);
    brokers.push(proton);
    const warnings: string[] = [];
    const random = vi.spyOn(Math, 'random').mockReturnValue(0);
    let t: Transport;
    try {
      t = await getRpcTransport({
        url: `amqp://127.0.0.1:${port},guest:guest@127.0.0.1:5672/`,
        logger: { ...silentLogger, warn: (m: string) => void warnings.push(m) },
        driverOptions,
      });
    } finally {
      random.mockRestore();
    }
    open.push(t);
    const topic = uniq('product');
    await pingServer(t, topic);
    const client = getRpcClient(t, { topic }, { timeout: 3 });
    expect(await client.call({}, 'ping', { n: 1 })).toBe(1); // legacy addresses on the Proton broker

    await brokers.splice(brokers.indexOf(proton), 1)[0]!.stop();
    await expect
      .poll(async () => client.call({}, 'ping', { n: 2 }).catch(() => 'not yet'), { timeout: 30_000, interval: 500 })
      .toBe(2);
    expect(warnings.some((w) => w.includes('calls for rabbitmq addressing (was legacy)'))).toBe(true);
    expect(await client.prepare({ server: 's' }).call({}, 'ping', { n: 3 })).toBe(3);
  }, 60_000);
});

describe('amqp1: link recovery', () => {
  /** Deletes broker nodes as an operator would (the test broker's `$delete` hook): their links are detached. */
  const deleteNodes = async (port: number, addresses: string[]) => {
    const conn = rhea.create_container().connect({ host: '127.0.0.1', port, reconnect: false });
    conn.on('error', () => undefined);
    const sender = conn.open_sender({ target: { address: '$delete' } });
    await new Promise((r) => sender.once('sendable', r));
    let accepted = 0;
    sender.on('accepted', () => void accepted++);
    for (const address of addresses) sender.send({ body: address });
    await expect.poll(() => accepted, { timeout: 5_000 }).toBe(addresses.length);
    conn.close();
  };

  it('links the broker detaches (their nodes deleted) are re-attached and the server serves again', async () => {
    const broker = await startTestBroker();
    brokers.push(broker);
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (m: string) => void warnings.push(m) };
    const t = await getRpcTransport({ url: `amqp://127.0.0.1:${broker.port}/`, logger, driverOptions });
    open.push(t);
    const topic = uniq('relink');
    const server = getRpcServer(t, { topic, server: 's' }, [{ ping: (_c: unknown, { n }: { n: number }) => n }]);
    await server.start();
    servers.push(server);
    const client = getRpcClient(t, { topic }, { timeout: 5 });
    expect(await client.call({}, 'ping', { n: 1 })).toBe(1);

    // oslo's legacy addresses of the server: the topic's shared queue and its own.
    await deleteNodes(broker.port, [`unicast.openstack.${topic}`, `exclusive.openstack.${topic}.s`]);
    await expect
      .poll(() => warnings.filter((w) => w.includes('detached by the peer')).length, { timeout: 5_000 })
      .toBe(2);
    // Re-attached after link_retry_delay (1 s here); the connection never went down.
    await expect
      .poll(async () => client.call({}, 'ping', { n: 2 }).catch(() => 'not yet'), { timeout: 20_000, interval: 300 })
      .toBe(2);
    expect(await client.prepare({ server: 's' }).call({}, 'ping', { n: 3 })).toBe(3);
    expect(warnings.some((w) => w.includes('connection lost'))).toBe(false);
  }, 60_000);
});

describe('amqp1: malformed messages', () => {
  it('a server rejects garbage and keeps serving', async () => {
    const broker = await startTestBroker();
    brokers.push(broker);
    const url = `amqp://127.0.0.1:${broker.port}/`;
    const rejected: string[] = [];
    const logger = {
      ...silentLogger,
      error: (m: string) => void (m.startsWith('Rejecting a malformed message') && rejected.push(m)),
    };
    const t = await getRpcTransport({ url, logger });
    open.push(t);
    const topic = uniq('garbage');
    const server = getRpcServer(t, { topic, server: 's' }, [{ ping: () => 'pong' }]);
    await server.start();
    servers.push(server);

    const conn = rhea.create_container().connect({ host: '127.0.0.1', port: broker.port, reconnect: false });
    conn.on('error', () => undefined);
    const sender = conn.open_sender({ target: { address: `unicast.openstack.${topic}` } });
    await new Promise((r) => sender.once('sendable', r));
    const outcomes: string[] = [];
    for (const ev of ['accepted', 'rejected', 'released', 'modified']) sender.on(ev, () => void outcomes.push(ev));
    const garbage = [
      'not json',
      JSON.stringify({ context: {} }),
      JSON.stringify({ request: { args: {} }, context: {} }),
      JSON.stringify({ request: { method: 'ping' }, context: [] }),
      Buffer.from([0xff, 0x00, 0x13]),
    ];
    for (const body of garbage)
      sender.send({ body: typeof body === 'string' ? body : rhea.message.data_section(body) });
    // The broker accepts them; our server then rejects each to the broker (which drops them).
    await expect.poll(() => outcomes.length, { timeout: 10_000 }).toBe(garbage.length);
    await expect.poll(() => rejected.length, { timeout: 10_000 }).toBe(garbage.length);
    conn.close();
    expect(await getRpcClient(t, { topic }, { timeout: 5 }).call({}, 'ping')).toBe('pong');
  }, 30_000);

  it('a client drops replies it cannot read or nobody waits for', async () => {
    const broker = await startTestBroker();
    brokers.push(broker);
    const url = `amqp://127.0.0.1:${broker.port}/`;
    const t = await getRpcTransport({ url, logger: silentLogger });
    open.push(t);
    const topic = uniq('replies');
    // A fake server that answers every call with garbage first, then correctly.
    const conn = rhea.create_container().connect({ host: '127.0.0.1', port: broker.port, reconnect: false });
    conn.on('error', () => undefined);
    const rx = conn.open_receiver({ source: { address: `unicast.openstack.${topic}` } });
    rx.on('message', (ctx: EventContext) => {
      const m = ctx.message!;
      const out = conn.open_sender({ target: { address: m.reply_to } });
      out.once('sendable', () => {
        out.send({ body: '{broken', correlation_id: m.message_id });
        out.send({ body: JSON.stringify({ response: 'stray' }), correlation_id: 'nobody-waits-for-this' });
        out.send({ body: JSON.stringify({ response: 'ok' }), correlation_id: m.message_id });
      });
    });
    await new Promise((r) => rx.once('receiver_open', r));
    expect(await getRpcClient(t, { topic }, { timeout: 5 }).call({}, 'anything')).toBe('ok');
    conn.close();
  }, 30_000);
});
