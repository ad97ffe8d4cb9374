// Upstream 18.1's RabbitMQ features, driver to driver on the real broker: stream fanout, the queue
// manager's stable queue names, and kombu compression on the wire.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import * as amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  MessagingTimeout,
  silentLogger,
  type MessageHandlingServer,
  type Transport,
} from '@oslo-messaging/core';

const RABBIT_URL = 'rabbit://guest:guest@127.0.0.1:5672/';
const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const open: Transport[] = [];
const servers: MessageHandlingServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    await s.stop();
    await s.wait();
  }
  await Promise.all(open.splice(0).map((t) => t.cleanup()));
});

async function transport(
  driverOptions: Record<string, unknown>,
  controlExchange = uniq('features_x'),
): Promise<Transport> {
  const t = await getRpcTransport({ url: RABBIT_URL, logger: silentLogger, controlExchange, driverOptions });
  open.push(t);
  return t;
}

async function queues(): Promise<Map<string, { type: string; durable: string }>> {
  const { stdout } = await promisify(execFile)(
    'rabbitmqctl',
    ['list_queues', '-q', '--no-table-headers', 'name', 'type', 'durable'],
    { encoding: 'utf8' },
  );
  return new Map(
    stdout
      .trim()
      .split('\n')
      .map((l) => {
        const [name = '', type = '', durable = ''] = l.split('\t');
        return [name, { type, durable }];
      }),
  );
}

async function eventually(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const STREAM = { rabbit_stream_fanout: true, rabbit_qos_prefetch_count: 10, rabbit_transient_quorum_queue: true };

describe('rabbit_stream_fanout', () => {
  it('checks its configuration as upstream does', async () => {
    await expect(
      getRpcTransport({
        url: RABBIT_URL,
        logger: silentLogger,
        driverOptions: { rabbit_stream_fanout: true, rabbit_transient_quorum_queue: true },
      }),
    ).rejects.toThrow(/needs rabbit_qos_prefetch_count/);
    await expect(
      getRpcTransport({
        url: RABBIT_URL,
        logger: silentLogger,
        driverOptions: { rabbit_stream_fanout: true, rabbit_qos_prefetch_count: 5 },
      }),
    ).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('fans out through one stream queue per topic that every server reads, and keeps it when a server goes', async () => {
    const exchange = uniq('stream_x');
    const topic = uniq('stream');
    const seen: Record<string, number[]> = { a: [], b: [] };
    for (const name of ['a', 'b'] as const) {
      const t = await transport(STREAM, exchange);
      const s = getRpcServer(t, { topic, server: name }, [
        { hello: (_c: unknown, { n }: { n: number }) => void seen[name]!.push(n) },
      ]);
      await s.start();
      servers.push(s);
    }
    const q = (await queues()).get(`${topic}_fanout`);
    expect(q).toEqual({ type: 'stream', durable: 'true' });
    expect([...(await queues()).keys()].filter((n) => n.startsWith(`${topic}_fanout_`))).toEqual([]);
    const client = getRpcClient(await transport(STREAM, exchange), { topic, fanout: true });
    for (let n = 1; n <= 3; n++) await client.cast({}, 'hello', { n });
    await eventually(() => seen['a']!.length === 3 && seen['b']!.length === 3, 'both servers to read all three casts');
    expect(seen).toEqual({ a: [1, 2, 3], b: [1, 2, 3] });
    // The stream is shared: a server's cleanup must not delete it under the others.
    const b = servers.pop()!;
    await b.stop();
    await b.wait();
    expect((await queues()).get(`${topic}_fanout`)?.type).toBe('stream');
    await client.cast({}, 'hello', { n: 4 });
    await eventually(() => seen['a']!.includes(4), 'the remaining server to read on');
  });
});

describe('use_queue_manager', () => {
  it('names reply and fanout queues <hostname>:<processname>:<n> and keeps them on cleanup', async () => {
    const processname = uniq('svc');
    const qm = { use_queue_manager: true, hostname: 'node-a', processname };
    const t = await transport(qm);
    const topic = uniq('qm');
    const s = getRpcServer(t, { topic, server: 's' }, [{ ping: () => 'pong' }]);
    await s.start();
    servers.push(s);
    expect(await getRpcClient(t, { topic }, { timeout: 10 }).call({}, 'ping')).toBe('pong');
    const names = [...(await queues()).keys()];
    expect(names).toContain(`${topic}_fanout_node-a:${processname}:1`);
    expect(names).toContain(`reply_node-a:${processname}:2`);
    // Timeouts name the reply queue, as upstream 14.7+ does.
    const err = await getRpcClient(t, { topic: uniq('nobody') }, { timeout: 0.5 })
      .call({}, 'x')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MessagingTimeout);
    expect(String((err as Error).message)).toBe(
      `Timed out waiting for a reply reply_node-a:${processname}:2 to message ID ${/message ID (\w+)/.exec((err as Error).message)?.[1]}.`,
    );
    await s.stop();
    await s.wait();
    servers.pop();
    await t.cleanup();
    // Stable names are for the next run: nothing was deleted (x-expires cleans up eventually).
    expect([...(await queues()).keys()]).toContain(`${topic}_fanout_node-a:${processname}:1`);
  });
});

describe('use_queue_manager across restarts', () => {
  it('a restarted service (new process group) gets the same reply and fanout queue names and reuses the queues', async () => {
    const script = new URL('./__fixtures__/queue-manager-run.mjs', import.meta.url).pathname;
    const topic = uniq('qm_restart');
    const processname = uniq('svc');
    const runOnce = () =>
      new Promise<string>((resolve, reject) => {
        // detached: a new process group, as a service restarted by its supervisor has.
        const child = spawn(process.execPath, [script, RABBIT_URL, topic, processname], {
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`run failed (${code}): ${err}`))));
      });
    expect(await runOnce()).toContain('"answer":"pong"');
    const first = [...(await queues()).keys()].filter((n) => n.includes(`restart-host:${processname}:`)).sort();
    expect(first).toEqual([`${topic}_fanout_restart-host:${processname}:1`, `reply_restart-host:${processname}:2`]);
    expect(await runOnce()).toContain('"answer":"pong"');
    const second = [...(await queues()).keys()].filter((n) => n.includes(`restart-host:${processname}:`)).sort();
    expect(second).toEqual(first);
  });
});

describe('kombu_compression', () => {
  it('gzip: bodies leave compressed under the compression header, and are read back by a server that does not compress', async () => {
    const exchange = uniq('gzip_x');
    const topic = uniq('gzip');
    const plain = await transport({}, exchange);
    const s = getRpcServer(plain, { topic, server: 's' }, [{ echo: (_c: unknown, { v }: { v: string }) => v }]);
    await s.start();
    servers.push(s);
    // A tap on the topic's exchange sees what the broker carries.
    const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672/');
    try {
      const ch = await conn.createChannel();
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, exchange, topic);
      const gz = await transport({ kombu_compression: 'gzip' }, exchange);
      expect(await getRpcClient(gz, { topic }, { timeout: 10 }).call({}, 'echo', { v: 'x'.repeat(2000) })).toBe(
        'x'.repeat(2000),
      );
      const msg = await ch.get(queue, { noAck: true });
      expect(msg && msg.properties.headers?.['compression']).toBe('application/x-gzip');
      const body = JSON.parse(inflateSync(msg ? msg.content : Buffer.alloc(0)).toString()) as Record<string, string>;
      expect(JSON.parse(body['oslo.message']!)['method']).toBe('echo');
      expect(msg ? msg.content.length : Infinity).toBeLessThan(500);
    } finally {
      await conn.close();
    }
  });

  it('refuses what it cannot write, at transport creation', async () => {
    await expect(
      getRpcTransport({ url: RABBIT_URL, logger: silentLogger, driverOptions: { kombu_compression: 'bz2' } }),
    ).rejects.toBeInstanceOf(ConfigurationError);
  });
});

describe('declare errors, recovered as upstream does', () => {
  it('a queue and exchange declared non-durable by another service: a durable server declares them non-durable too and serves', async () => {
    const exchange = uniq('nd_x');
    const topic = uniq('nd');
    const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672/');
    try {
      const ch = await conn.createChannel();
      await ch.assertExchange(exchange, 'topic', { durable: false });
      await ch.assertQueue(topic, { durable: false });
      const t = await transport({ amqp_durable_queues: true }, exchange);
      const s = getRpcServer(t, { topic, server: 's' }, [{ ping: () => 'pong' }]);
      await s.start();
      servers.push(s);
      expect(await getRpcClient(t, { topic }, { timeout: 10 }).call({}, 'ping')).toBe('pong');
      expect((await queues()).get(topic)?.durable).toBe('false');
      expect((await queues()).get(`${topic}.s`)?.durable).toBe('true');
      await ch.deleteQueue(topic);
    } finally {
      await conn.close();
    }
  });
});
