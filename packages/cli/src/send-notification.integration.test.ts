// `oslo-messaging-send-notification` (our bin alias, as npm links it) against upstream's console script of
// that name: Debian's 14.0.3 /usr/bin/oslo-messaging-send-notification and upstream 18.1.0's (the tarball
// from ../shared/peers; the script's source is the same in both). Same command lines, compared on what
// they print and exit with, and on the raw messages they put on RabbitMQ.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPeer, DEBIAN_PEER, upstreamPeer, type OsloPeer } from '../../../test-fixtures/oslo-peer/python-peer.js';

// The alias as npm links it for the workspace (the link exists from install time on, before any build).
const BIN = fileURLToPath(new URL('../../../node_modules/.bin/oslo-messaging-send-notification', import.meta.url));
const RABBIT = 'rabbit://guest:guest@127.0.0.1:5672/';
const AMQP = 'amqp://guest:guest@127.0.0.1:5672/';
const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;
const dir = mkdtempSync(join(tmpdir(), 'oslo-send-notification-'));

interface Run {
  code: number | null;
  out: string;
  err: string;
}

let upstream18: OsloPeer;
/** The commands compared: upstream's two, then ours. */
let commands: Array<{ name: string; run: (args: string[]) => Promise<Run> }>;

function spawnRun(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env, timeout: 60_000 });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out, err }));
  });
}
const pythonEnv = (peer: OsloPeer): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env['PYTHONPATH'];
  delete env['PBR_VERSION'];
  return { ...env, ...peer.env };
};

beforeAll(async () => {
  // Fail loudly (never skip) when either upstream script cannot run.
  expect((await checkPeer(DEBIAN_PEER)).version).toBe('14.0.3');
  upstream18 = await upstreamPeer();
  expect((await checkPeer(upstream18)).version).toBe('18.1.0');
  // 18.1 from the tarball has no installed console script: run the function its setup.cfg names.
  const script18 =
    "import sys; sys.argv[0] = 'oslo-messaging-send-notification'; from oslo_messaging.notify.notifier import _send_notification; sys.exit(_send_notification())";
  commands = [
    {
      name: 'upstream 14.0.3',
      run: (args) => spawnRun('/usr/bin/oslo-messaging-send-notification', args, pythonEnv(DEBIAN_PEER)),
    },
    {
      name: 'upstream 18.1.0',
      run: (args) => spawnRun('/usr/bin/python3', ['-c', script18, ...args], pythonEnv(upstream18)),
    },
    { name: 'ours', run: (args) => spawnRun(process.execPath, [BIN, ...args]) },
  ];
});

let conn: amqp.ChannelModel;
let ch: amqp.Channel;
const queues: string[] = [];
beforeAll(async () => {
  conn = await amqp.connect(AMQP);
  ch = await conn.createChannel();
});
afterAll(async () => {
  for (const q of queues) await ch.deleteQueue(q).catch(() => undefined);
  await conn.close();
});

/** Every message in `queue` (declared by the senders: `<topic>.<priority>`), raw. */
async function drain(queue: string): Promise<amqp.GetMessage[]> {
  queues.push(queue);
  const got: amqp.GetMessage[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (!m) return got;
    got.push(m);
  }
}

/** A message as it must be the same from every sender: ids and the time replaced by their shapes. */
function normalized(m: amqp.GetMessage) {
  const body = JSON.parse(m.content.toString()) as Record<string, unknown>;
  const v2 = typeof body['oslo.message'] === 'string';
  const msg = (v2 ? JSON.parse(body['oslo.message'] as string) : body) as Record<string, unknown>;
  expect(msg['message_id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(msg['timestamp']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
  expect(msg['_unique_id']).toMatch(/^[0-9a-f]{32}$/);
  return {
    exchange: m.fields.exchange,
    routingKey: m.fields.routingKey,
    properties: {
      contentType: m.properties.contentType,
      contentEncoding: m.properties.contentEncoding,
      deliveryMode: m.properties.deliveryMode,
      priority: m.properties.priority,
      headers: m.properties.headers,
    },
    envelope: v2 ? { 'oslo.version': body['oslo.version'] } : 'none (v1)',
    message: { ...msg, message_id: 'uuid4', timestamp: 'utcnow', _unique_id: 'hex' },
  };
}

/** Runs `args` with the three commands in turn; returns the queue's messages, one per command, in that order. */
async function sendWithEach(args: string[], queue: string) {
  for (const c of commands) {
    const r = await c.run(args);
    expect({ command: c.name, code: r.code, out: r.out }, r.err).toEqual({ command: c.name, code: 0, out: '' });
  }
  const got = await drain(queue);
  expect(got.length, `one message per command in ${queue}`).toBe(commands.length);
  return got.map(normalized);
}

describe("oslo-messaging-send-notification: the arguments of upstream's console script", () => {
  it("prints the same usage errors and exit codes as upstream's 14.0.3 and 18.1.0 scripts", async () => {
    const cases = [
      [],
      ['--priority', 'debug', 'p'],
      ['--t', 'x', 'p'],
      ['--topic', 'a', 'p'], // --topic takes every following word: the payload too
      ['p', 'extra'],
      ['--event-type'],
      ['--driver', 'kafka-nope', 'p'],
      ['--nope', 'p'],
      ['-hx'],
    ];
    const results = await Promise.all(cases.map((args) => Promise.all(commands.map((c) => c.run(args)))));
    for (const [i, args] of cases.entries()) {
      const [py14, py18, ours] = results[i]!;
      expect(py14!.code, args.join(' ')).toBe(2);
      expect({ code: py18!.code, err: py18!.err }, args.join(' ')).toEqual({ code: py14!.code, err: py14!.err });
      expect({ code: ours!.code, err: ours!.err }, args.join(' ')).toEqual({ code: py14!.code, err: py14!.err });
    }
    const help = await Promise.all(commands.map((c) => c.run(['--help'])));
    for (const h of help) expect(h.code).toBe(0);
    expect(help[2]!.out).toContain('usage: oslo-messaging-send-notification [-h] [--config-file CONFIG_FILE]');
    for (const flag of [
      '--config-file',
      '--transport-url',
      '--publisher-id',
      '--event-type',
      '--topic',
      '--priority',
      '--driver',
      'payload',
    ])
      expect(help[2]!.out).toContain(flag);
  }, 120_000);
});

describe("oslo-messaging-send-notification on RabbitMQ: the same messages as upstream's script", () => {
  it('all options given: publisher, event type, priority, topic; the payload travels as the string given', async () => {
    const topic = uniq('send_notif');
    const got = await sendWithEach(
      [
        '--transport-url',
        RABBIT,
        '--topic',
        topic,
        '--publisher-id',
        'compute.host1',
        '--event-type',
        'compute.instance.exists',
        '--priority',
        'error',
        '{"id": 1}',
      ],
      `${topic}.error`,
    );
    expect(got[0]).toEqual({
      exchange: 'openstack',
      routingKey: `${topic}.error`,
      properties: {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 2,
        priority: 0,
        headers: {},
      },
      envelope: { 'oslo.version': '2.0' },
      // Upstream passes its arguments to Notifier._notify as they are: a lower-case priority, a string payload, {} context.
      message: {
        message_id: 'uuid4',
        publisher_id: 'compute.host1',
        event_type: 'compute.instance.exists',
        priority: 'error',
        payload: '{"id": 1}',
        timestamp: 'utcnow',
        _unique_id: 'hex',
      },
    });
    expect(got[1]).toEqual(got[0]);
    expect(got[2]).toEqual(got[0]);
  }, 120_000);

  it('upstream\'s defaults: no publisher id (null), event type "test", priority info; the payload before the options', async () => {
    const topic = uniq('send_notif');
    // The payload first: --topic would take it as a second topic (argparse's nargs='*').
    const got = await sendWithEach(['plain text', '--transport-url', RABBIT, '--topic', topic], `${topic}.info`);
    expect(got[0]!.message).toEqual({
      message_id: 'uuid4',
      publisher_id: null,
      event_type: 'test',
      priority: 'info',
      payload: 'plain text',
      timestamp: 'utcnow',
      _unique_id: 'hex',
    });
    expect(got[1]).toEqual(got[0]);
    expect(got[2]).toEqual(got[0]);
  }, 120_000);

  it('argparse forms: --opt=value, abbreviations, several topics, -- before the payload, the v1 driver', async () => {
    const [t1, t2] = [uniq('send_notif'), uniq('send_notif')];
    const args = [
      `--transport-url=${RABBIT}`,
      '--pub',
      'volume.host2',
      '--event=volume.usage',
      '--prio',
      'sample',
      '--driver=messaging',
      '--topic',
      t1,
      t2,
      '--',
      '-1',
    ];
    for (const c of commands) expect(await c.run(args), c.name).toMatchObject({ code: 0, out: '' });
    for (const topic of [t1, t2]) {
      const got = (await drain(`${topic}.sample`)).map(normalized);
      expect(got).toHaveLength(3);
      expect(got[0]).toMatchObject({
        routingKey: `${topic}.sample`,
        envelope: 'none (v1)',
        message: { publisher_id: 'volume.host2', event_type: 'volume.usage', priority: 'sample', payload: '-1' },
      });
      expect(got[1]).toEqual(got[0]);
      expect(got[2]).toEqual(got[0]);
    }
  }, 120_000);

  it("--config-file: [DEFAULT] transport_url, [oslo_messaging_notifications] topics and control_exchange; the file's driver is ignored (--driver defaults to messagingv2)", async () => {
    const topic = uniq('send_notif');
    const exchange = uniq('send_notif_x');
    const file = join(dir, `${topic}.conf`);
    writeFileSync(
      file,
      `[DEFAULT]\ntransport_url = ${RABBIT}\ncontrol_exchange = ${exchange}\n\n[oslo_messaging_notifications]\ntopics = ${topic}\ndriver = log\n`,
    );
    const got = await sendWithEach(
      ['--config-file', file, '--event-type', 'identity.user.created', '--priority', 'audit', '{}'],
      `${topic}.audit`,
    );
    expect(got[0]).toMatchObject({
      exchange,
      routingKey: `${topic}.audit`,
      envelope: { 'oslo.version': '2.0' },
      message: { publisher_id: null, event_type: 'identity.user.created', priority: 'audit', payload: '{}' },
    });
    expect(got[1]).toEqual(got[0]);
    expect(got[2]).toEqual(got[0]);
    await ch.deleteExchange(exchange).catch(() => undefined);
  }, 120_000);

  it("a failed send: upstream logs it and exits 0; ours logs upstream's line and exits 1 (a deliberate difference)", async () => {
    const file = join(dir, 'retry0.conf');
    writeFileSync(file, '[oslo_messaging_notifications]\nretry = 0\n');
    const args = [
      '--config-file',
      file,
      '--transport-url',
      'rabbit://guest:guest@127.0.0.1:1/',
      '--topic',
      'nowhere',
      '--',
      'p',
    ];
    const [py14, py18, ours] = await Promise.all(commands.map((c) => c.run(args)));
    for (const py of [py14!, py18!]) {
      expect(py.code).toBe(0);
      expect(py.err).toContain('Could not send notification to nowhere');
    }
    expect(ours!.code).toBe(1);
    expect(ours!.err).toMatch(/Problem '.*' attempting to send to notification system\. Payload="p"/);
  }, 120_000);
});
