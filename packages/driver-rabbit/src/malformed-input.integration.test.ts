// Garbage on our queues is logged and rejected: the server and listener keep working, the queue
// drains, and nothing crashes the process.
import * as amqp from 'amqplib';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { getNotificationListener, getNotificationTransport, getRpcClient, getRpcServer, getRpcTransport, Notifier, type Logger } from '@oslo-messaging/core';

const RABBIT_URL = process.env['OSLO_TEST_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => void unhandled.push(e);
process.on('unhandledRejection', onUnhandled);
afterAll(() => void process.off('unhandledRejection', onUnhandled));

const GARBAGE: Array<[string, Buffer]> = [
  ['not JSON', Buffer.from('this is not json')],
  ['a JSON array', Buffer.from('[1,2,3]')],
  ['envelope version 9', Buffer.from(JSON.stringify({ 'oslo.version': '9.0', 'oslo.message': '{}' }))],
  ['envelope with a non-string message', Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': 42 }))],
  ['envelope with broken inner JSON', Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': '{"method": ' }))],
  ['no method', Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ args: {} }) }))],
  ['args not an object', Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ method: 'echo', args: [1] }) }))],
  ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x00, 0x7b])],
  ['5 MB of junk', Buffer.alloc(5 * 1024 * 1024, 0x41)],
];

function recordingLogger(): Logger & { errors: string[] } {
  const errors: string[] = [];
  return { errors, debug() {}, info() {}, warn() {}, error: (m: string) => void errors.push(m) };
}
function depth(queue: string): number {
  const out = execFileSync('rabbitmqctl', ['list_queues', '-q', '--no-table-headers', 'name', 'messages'], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.startsWith(`${queue}\t`));
  return Number(line?.split('\t')[1] ?? -1);
}

describe('malformed messages', () => {
  it('are rejected by an RPC server, which keeps serving', async () => {
    const logger = recordingLogger();
    const t = await getRpcTransport({ url: RABBIT_URL, logger });
    const topic = uniq('garbage');
    const server = getRpcServer(t, { topic, server: 's' }, [{ echo: (_c: unknown, a: { v: unknown }) => a.v }]);
    await server.start();
    const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672/');
    const ch = await conn.createConfirmChannel();
    for (const [, body] of GARBAGE) ch.publish('openstack', topic, body);
    await ch.waitForConfirms();
    expect(await getRpcClient(t, { topic }, { timeout: 10 }).call({}, 'echo', { v: 'still alive' })).toBe('still alive');
    const deadline = Date.now() + 10_000;
    while (depth(topic) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(depth(topic)).toBe(0);
    expect(logger.errors.length).toBeGreaterThanOrEqual(GARBAGE.length - 2); // bad args/no method may surface as dispatch errors instead
    await conn.close();
    await server.stop();
    await server.wait();
    await t.cleanup();
    expect(unhandled).toEqual([]);
  }, 60_000);

  it('are rejected by a notification listener, which keeps listening', async () => {
    const logger = recordingLogger();
    const t = await getNotificationTransport({ url: RABBIT_URL, logger });
    const topic = uniq('garbage_n');
    const got: string[] = [];
    const listener = getNotificationListener(t, [{ topic }], [{ info: (_c: unknown, _p: string, e: string) => void got.push(e) }]);
    await listener.start();
    const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672/');
    const ch = await conn.createConfirmChannel();
    for (const [, body] of GARBAGE) ch.publish('openstack', `${topic}.info`, body);
    await ch.waitForConfirms();
    await new Notifier(t, { publisherId: 'p', topics: [topic] }).info({}, 'real.event', {});
    const deadline = Date.now() + 10_000;
    while (!got.includes('real.event') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(got).toContain('real.event');
    while (depth(`${topic}.info`) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(depth(`${topic}.info`)).toBe(0);
    await conn.close();
    await listener.stop();
    await listener.wait();
    await t.cleanup();
    expect(unhandled).toEqual([]);
  }, 60_000);
});
