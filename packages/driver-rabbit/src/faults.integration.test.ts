// Broker-side refusals a user's service meets, staged against the real RabbitMQ while the service
// runs in a child process with Node's defaults: a consumed queue deleted under a running server,
// declarations refused with PRECONDITION_FAILED, and a publish the broker answers with a channel
// close (404). The broker itself keeps running, so these run in the main suite.
import * as amqp from 'amqplib';
import { assertHealthy, runScenario, type ScenarioRun } from '@oslo-messaging/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_RECONNECT, RABBIT_URL, SCENARIO, uniq } from './__fixtures__/faults.js';

let admin: amqp.ChannelModel;
beforeAll(async () => {
  admin = await amqp.connect('amqp://guest:guest@127.0.0.1:5672/');
  admin.on('error', () => undefined);
});
afterAll(async () => {
  await admin?.close().catch(() => undefined);
});

/** A channel of the test's own, for declarations and deletions (a 406 closes it, so one per use). */
async function withChannel<T>(fn: (ch: amqp.Channel) => Promise<T>): Promise<T> {
  const ch = await admin.createChannel();
  ch.on('error', () => undefined);
  try {
    return await fn(ch);
  } finally {
    await ch.close().catch(() => undefined);
  }
}

function start(scenario: Record<string, unknown>): ScenarioRun {
  return runScenario(SCENARIO, {
    env: { SCENARIO: JSON.stringify({ url: RABBIT_URL, callTimeout: 2, driverOptions: FAST_RECONNECT, ...scenario }) },
    killAfterMs: 90_000,
  });
}

async function op(run: ScenarioRun, command: string, op: string) {
  const before = run.records.length;
  run.send(command);
  return run.waitFor((r) => r.event === 'settled' && r['op'] === op && run.records.indexOf(r) >= before, 30_000);
}

describe('RabbitMQ refusals (child process, Node defaults)', () => {
  it('a consumed queue deleted under a running server: the broker cancels the consumer, the server declares and consumes again', async () => {
    const topic = uniq('deleted');
    const run = start({ exchange: uniq('deleted_x'), topic });
    expect((await op(run, 'server', 'server-start'))['ok']).toBe(true);
    expect((await op(run, 'call', 'call'))['ok']).toBe(true);
    await withChannel((ch) => ch.deleteQueue(topic));
    // The next calls find the queue again (re-declared and bound, consumed) well within their timeout.
    let ok = false;
    for (let i = 0; i < 5 && !ok; i++) ok = (await op(run, 'call', 'call'))['ok'] === true;
    expect(ok).toBe(true);
    const consumers = await withChannel((ch) => ch.checkQueue(topic));
    expect(consumers.consumerCount).toBe(1);
    run.send('stop');
    assertHealthy(await run.done);
  });

  it("the client's reply queue deleted under it: the client declares it and consumes again, calls go on", async () => {
    const topic = uniq('replygone');
    // The queue manager names the reply queue, so the test deletes this client's and no other's.
    const processname = uniq('replygone');
    const run = start({
      exchange: uniq('replygone_x'),
      topic,
      driverOptions: { ...FAST_RECONNECT, use_queue_manager: true, hostname: 'faults', processname },
    });
    expect((await op(run, 'server', 'server-start'))['ok']).toBe(true);
    expect((await op(run, 'call', 'call'))['ok']).toBe(true);
    const reply = `reply_faults:${processname}:2`;
    expect((await withChannel((ch) => ch.checkQueue(reply))).consumerCount).toBe(1);
    await withChannel((ch) => ch.deleteQueue(reply));
    let ok = false;
    for (let i = 0; i < 5 && !ok; i++) ok = (await op(run, 'call', 'call'))['ok'] === true;
    expect(ok).toBe(true);
    run.send('stop');
    assertHealthy(await run.done);
  });

  it('a queue declared first by a differently configured service (quorum vs classic): start() fails at once with PreconditionFailed, no retry loop', async () => {
    const topic = uniq('precondition');
    await withChannel((ch) => ch.assertQueue(topic, { durable: true, arguments: { 'x-queue-type': 'quorum' } }));
    const run = start({ exchange: uniq('precondition_x'), topic });
    const started = await op(run, 'server', 'server-start');
    expect(started['ok']).toBe(false);
    expect(started['error']).toBe('PreconditionFailed');
    expect(String(started['message'])).toMatch(/inequivalent arg .*x-queue-type|inequivalent arg 'durable'/);
    expect(started['elapsedMs'] as number).toBeLessThan(5000);
    // Calls still work on other topics of the same transport, and the process exits cleanly: nothing loops.
    run.send('stop');
    const result = await run.done;
    assertHealthy(result);
    await withChannel((ch) => ch.deleteQueue(topic));
  });

  it('an exchange of another type declared first: a cast fails at once with PreconditionFailed, even with retry unset', async () => {
    const exchange = uniq('wrongtype_x');
    await withChannel((ch) => ch.assertExchange(exchange, 'fanout', { durable: false }));
    const run = start({ exchange, topic: uniq('wrongtype'), castTimeout: undefined });
    const cast = await op(run, 'cast', 'cast');
    expect(cast['ok']).toBe(false);
    expect(cast['error']).toBe('PreconditionFailed');
    expect(String(cast['message'])).toMatch(/PRECONDITION_FAILED - inequivalent arg 'type'/);
    expect(cast['elapsedMs'] as number).toBeLessThan(5000);
    run.send('stop');
    assertHealthy(await run.done);
    await withChannel((ch) => ch.deleteExchange(exchange));
  });

  it('a control exchange declared non-durable by another service: durable clients use it as it is (upstream fallback)', async () => {
    const exchange = uniq('nondurable_x');
    const topic = uniq('nondurable');
    await withChannel((ch) => ch.assertExchange(exchange, 'topic', { durable: false }));
    const run = start({ exchange, topic, driverOptions: { ...FAST_RECONNECT, amqp_durable_queues: true } });
    const cast = await op(run, 'cast', 'cast');
    expect(cast['ok'], JSON.stringify(cast)).toBe(true);
    run.send('stop');
    assertHealthy(await run.done);
    await withChannel((ch) => ch.deleteExchange(exchange));
  });

  it('a publish to an exchange deleted after it was declared: the broker closes the channel (404), the channel comes back', async () => {
    const exchange = uniq('gone_x');
    const topic = uniq('gone');
    const run = start({ exchange, topic });
    expect((await op(run, 'cast', 'cast'))['ok']).toBe(true);
    await withChannel((ch) => ch.deleteExchange(exchange));
    // The first publish after the deletion hits the 404; the driver reconnects, declares again and publishes.
    const cast = await op(run, 'cast', 'cast');
    expect(cast['ok'], JSON.stringify(cast)).toBe(true);
    // (Deleting the exchange also removed the server's bindings.) A queue bound now gets the next cast:
    // the channel really came back.
    const probe = uniq('probe');
    await withChannel(async (ch) => {
      await ch.assertQueue(probe, { autoDelete: false });
      await ch.bindQueue(probe, exchange, topic);
    });
    expect((await op(run, 'cast', 'cast'))['ok']).toBe(true);
    const got = await withChannel((ch) => ch.get(probe, { noAck: true }));
    expect(got && JSON.parse(JSON.parse(got.content.toString())['oslo.message'])['method']).toBe('record');
    await withChannel((ch) => ch.deleteQueue(probe));
    run.send('stop');
    assertHealthy(await run.done);
  });
});
