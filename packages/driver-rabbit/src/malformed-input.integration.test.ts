// Garbage on our queues is logged and rejected: the server and listener keep working, the queues
// drain, and nothing crashes the process. The service runs in a child process with Node's defaults
// (an unhandled rejection would kill it); the test publishes the garbage from outside.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';
import { assertHealthy, runScenario, type ScenarioRun } from '@oslo-messaging/testkit';
import { describe, expect, it } from 'vitest';
import { FAST_RECONNECT, RABBIT_URL, SCENARIO, sleep, uniq } from './__fixtures__/faults.js';

const GARBAGE: Array<[string, Buffer]> = [
  ['not JSON', Buffer.from('this is not json')],
  ['a JSON array', Buffer.from('[1,2,3]')],
  ['envelope version 9', Buffer.from(JSON.stringify({ 'oslo.version': '9.0', 'oslo.message': '{}' }))],
  ['envelope with a non-string message', Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': 42 }))],
  [
    'envelope with broken inner JSON',
    Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': '{"method": ' })),
  ],
  ['no method', Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ args: {} }) }))],
  [
    'args not an object',
    Buffer.from(
      JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ method: 'echo', args: [1] }) }),
    ),
  ],
  ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x00, 0x7b])],
  ['5 MB of junk', Buffer.alloc(5 * 1024 * 1024, 0x41)],
];

async function depth(queue: string): Promise<number> {
  const { stdout } = await promisify(execFile)(
    'rabbitmqctl',
    ['list_queues', '-q', '--no-table-headers', 'name', 'messages'],
    { encoding: 'utf8' },
  );
  const line = stdout.split('\n').find((l) => l.startsWith(`${queue}\t`));
  return Number(line?.split('\t')[1] ?? -1);
}

async function drained(queue: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  let d = await depth(queue);
  while (d !== 0 && Date.now() < deadline) {
    await sleep(100);
    d = await depth(queue);
  }
  return d;
}

async function op(run: ScenarioRun, command: string, name: string) {
  const before = run.records.length;
  run.send(command);
  return run.waitFor((r) => r.event === 'settled' && r['op'] === name && run.records.indexOf(r) >= before, 30_000);
}

describe('malformed messages (service in a child process, Node defaults)', () => {
  it('are rejected by an RPC server and a notification listener, which keep serving; the queues drain', async () => {
    const exchange = uniq('garbage_x');
    const topic = uniq('garbage');
    const run = runScenario(SCENARIO, {
      env: {
        SCENARIO: JSON.stringify({
          url: RABBIT_URL,
          exchange,
          topic,
          callTimeout: 10,
          driverOptions: FAST_RECONNECT,
          verbose: true,
        }),
      },
      killAfterMs: 90_000,
    });
    try {
      expect((await op(run, 'server', 'server-start'))['ok']).toBe(true);
      const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672/');
      try {
        const ch = await conn.createConfirmChannel();
        for (const [, body] of GARBAGE) {
          ch.publish(exchange, topic, body);
          ch.publish(exchange, `${topic}.info`, body);
        }
        await ch.waitForConfirms();
      } finally {
        await conn.close();
      }
      expect((await op(run, 'call', 'call'))['ok']).toBe(true);
      expect(await drained(topic)).toBe(0);
      expect(await drained(`${topic}.info`)).toBe(0);
      // Real traffic still flows through both, after the garbage.
      run.send('load');
      await sleep(1500);
      run.send('stop');
      const result = await run.done;
      assertHealthy(result);
      const summary = result.records.find((r) => r.event === 'summary')!;
      expect(summary['lost']).toBe(0);
      expect(summary['notificationsSeen'] as number).toBeGreaterThan(0);
      const rejected = (queue: string) =>
        result.stderr
          .split('\n')
          .filter((l) => l.includes('Rejecting a malformed message') && l.includes(`[queue ${queue}]`)).length;
      // Bad args or no method may surface as dispatch errors instead of rejections.
      expect(rejected(topic)).toBeGreaterThanOrEqual(GARBAGE.length - 2);
      expect(rejected(`${topic}.info`)).toBeGreaterThanOrEqual(GARBAGE.length - 4);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  }, 90_000);
});
