// Fault injection against real AMQP 1.0 brokers, as users run the driver: each scenario is a child
// process with Node's defaults (__fixtures__/amqp1-faults.mjs), so an unhandled rejection, an uncaught
// exception or an unlistened 'error' event kills it and fails the test. The brokers are our own, on their
// own ports: the project's test broker (test-fixtures/amqp1-broker) and Debian's Proton example broker.
// Faults: the broker stopped (SIGKILL) and restarted, frozen (SIGSTOP: no FIN, only the idle time-out can
// tell) and thawed, down when the scenario starts, link credit never granted, and peers that hang up or
// never answer (reconnect loops). Outages are longer than the calls' timeouts.
import { fileURLToPath } from 'node:url';
import { assertHealthy, runScenario, type ScenarioResult, type ScenarioRun } from '@oslo-messaging/testkit';
import type { ScenarioRecord } from '@oslo-messaging/testkit/scenario';
import { describe, expect, it } from 'vitest';
import { freePort, startExampleBroker, startTestBroker, type TestBroker } from './__fixtures__/test-broker.js';

const SCRIPT = fileURLToPath(new URL('./__fixtures__/amqp1-faults.mjs', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Every outage lasts at least this long: twice the scenario's call timeout (1.5 s). */
const OUTAGE_MS = 3500;

const BROKERS: ReadonlyArray<readonly [string, (port?: number) => Promise<TestBroker>]> = [
  ['project test broker', startTestBroker],
  ['Proton example broker', startExampleBroker],
];

type Fault = 'stop' | 'freeze';

/** A broker we can stop and restart on the same port, or freeze and thaw. */
class FaultyBroker {
  #broker: TestBroker | undefined;
  #frozen = false;
  constructor(
    readonly port: number,
    private readonly start: (port?: number) => Promise<TestBroker>,
  ) {}
  get url() {
    return `amqp://127.0.0.1:${this.port}/`;
  }
  async up() {
    this.#broker = await this.start(this.port);
  }
  async fault(kind: Fault) {
    if (kind === 'stop') await this.#broker?.stop();
    else {
      this.#broker?.process.kill('SIGSTOP');
      this.#frozen = true;
    }
  }
  async restore(kind: Fault) {
    if (kind === 'stop') await this.up();
    else {
      this.#broker?.process.kill('SIGCONT');
      this.#frozen = false;
    }
  }
  async dispose() {
    if (this.#frozen) this.#broker?.process.kill('SIGCONT');
    await this.#broker?.stop();
  }
}

/** The child's run to its end: it must exit by itself soon after reporting `done` (nothing left running). */
async function finish(run: ScenarioRun): Promise<ScenarioResult> {
  await run.waitFor('done', 30_000);
  run.child.stdin!.end(); // the scenario's command reader ends: only the driver could keep it alive now
  const exited = await Promise.race([run.done, sleep(5000).then(() => undefined)]);
  if (!exited) {
    run.child.kill('SIGKILL');
    throw new Error(
      `the scenario did not exit within 5 s of cleaning up: something (a timer, a socket, a reconnect) keeps it alive\n${(await run.done).stderr.slice(-3000)}`,
    );
  }
  return exited;
}

const find = (result: ScenarioResult, event: string, tag?: string): ScenarioRecord => {
  const r = result.records.find((x) => x.event === event && (tag === undefined || x['tag'] === tag));
  if (!r)
    throw new Error(
      `no ${event}${tag ? ` (${tag})` : ''} record; records: ${JSON.stringify(result.records.filter((x) => x.event !== 'log')).slice(0, 3000)}`,
    );
  return r;
};

/** What every scenario ending with "cleanup with work pending" must show. */
function expectPromptTypedShutdown(result: ScenarioResult, tag: string) {
  const shutdown = result.settled.find((s) => s.op === `${tag}:shutdown`);
  expect(shutdown, 'server.stop()/wait() and transport.cleanup() finished').toMatchObject({ ok: true });
  expect(shutdown!.elapsedMs).toBeLessThan(5000);
  const { outcomes } = find(result, 'pending-after-cleanup', tag) as unknown as { outcomes: string[] };
  // Pending casts and calls are rejected with a typed error, none is left hanging (nor claims success);
  // a notification's failure is logged, not raised (oslo's Notifier), so it only must not hang.
  const [cast, call, notification] = outcomes;
  expect(['ClientSendError', 'TransportDriverError', 'MessageDeliveryFailure']).toContain(cast);
  if (call !== undefined)
    expect(['ClientSendError', 'TransportDriverError', 'MessageDeliveryFailure', 'MessagingTimeout']).toContain(call);
  if (notification !== undefined) expect(notification).not.toBe('StillPending');
}

describe.concurrent.each(BROKERS)('amqp1 fault injection (%s)', (_name, start) => {
  it.each<Fault>(['stop', 'freeze'])(
    'broker %s mid-traffic: deadlines hold, the same objects recover, no confirmed cast or notification is lost, shutdown during a second outage is prompt',
    async (kind) => {
      const broker = new FaultyBroker(await freePort(), start);
      await broker.up();
      let run: ScenarioRun | undefined;
      try {
        run = runScenario(SCRIPT, { args: ['fault', broker.url], killAfterMs: 90_000 });
        await run.waitFor('ready', 30_000);
        await broker.fault(kind);
        const faultAt = Date.now();
        run.send('fault');
        await run.waitFor((r) => r.event === 'deadline-ops-settled' && r['tag'] === 'outage', 20_000);
        await sleep(Math.max(0, faultAt + OUTAGE_MS - Date.now()));
        await broker.restore(kind);
        run.send('restored');
        await run.waitFor('phase2-ready', 60_000);
        await broker.fault(kind);
        run.send('fault2');
        const result = await finish(run);
        assertHealthy(result);

        const outage = find(result, 'deadline-ops-settled', 'outage') as unknown as { outcomes: string[] };
        // calls, cast with a timeout, cast with retry=1, call nobody serves: all fail, typed, by their deadlines.
        expect(outage.outcomes).toEqual([
          'MessagingTimeout',
          'MessagingTimeout',
          'MessagingTimeout',
          'MessageDeliveryFailure',
          'MessagingTimeout',
        ]);
        // A call in flight when the broker went: no reply can come, it times out by its deadline.
        expect(result.settled.find((s) => s.op === 'outage:inflight-call')).toMatchObject({
          ok: false,
          error: 'MessagingTimeout',
        });
        // The server was busy with a call when the second outage began: cleanup rejects that call, typed.
        expect(result.settled.find((s) => s.op === 'outage2:busy-call')).toMatchObject({ ok: false });
        expect(result.records.some((r) => r.event === 'not-recovered')).toBe(false);
        find(result, 'recovered', 'outage');
        // Casts and a notification sent during the outage (retry unset) waited for the broker and were accepted.
        expect(find(result, 'forever-settled')['outcomes']).toEqual(['ok', 'ok', 'ok']);
        const delivery = find(result, 'delivery', 'outage');
        expect(delivery).toMatchObject({ casts: [], notes: [] });
        expect(delivery['confirmedCasts']).toBe(12);
        expectPromptTypedShutdown(result, 'outage2');
      } finally {
        if (run && run.child.exitCode === null) run.child.kill('SIGKILL');
        await broker.dispose();
      }
    },
    120_000,
  );

  it('broker down when the calls start: they settle by their deadlines, the servers start, and everything works once it is up', async () => {
    const broker = new FaultyBroker(await freePort(), start);
    let run: ScenarioRun | undefined;
    try {
      run = runScenario(SCRIPT, { args: ['down-at-start', broker.url], killAfterMs: 90_000 });
      const began = Date.now();
      await run.waitFor('deadline-done', 20_000);
      await sleep(Math.max(0, began + OUTAGE_MS - Date.now()));
      await broker.up();
      run.send('restored');
      await run.waitFor('delivery', 60_000);
      await broker.fault('stop');
      run.send('fault2');
      const result = await finish(run);
      assertHealthy(result);
      expect((find(result, 'deadline-ops-settled', 'down') as unknown as { outcomes: string[] }).outcomes).toEqual([
        'MessagingTimeout',
        'MessagingTimeout',
        'MessagingTimeout',
        'MessageDeliveryFailure',
        'MessagingTimeout',
      ]);
      expect(result.settled.find((s) => s.op === 'down:servers-started')).toMatchObject({ ok: true });
      find(result, 'recovered', 'down');
      expect(find(result, 'forever-settled')['outcomes']).toEqual(['ok', 'ok']);
      expect(find(result, 'delivery', 'down')).toMatchObject({ casts: [], notes: [] });
      expectPromptTypedShutdown(result, 'down2');
    } finally {
      if (run && run.child.exitCode === null) run.child.kill('SIGKILL');
      await broker.dispose();
    }
  }, 120_000);
});

describe.concurrent('amqp1 without faults of the broker process', () => {
  it('link credit never granted: calls and casts settle by their deadlines, the connection keeps serving, cleanup is prompt', async () => {
    const broker = await startTestBroker();
    try {
      const result = await finish(
        runScenario(SCRIPT, { args: ['no-credit', `amqp://127.0.0.1:${broker.port}/`], killAfterMs: 60_000 }),
      );
      assertHealthy(result);
      expect(find(result, 'baseline')['ok']).toBe(true);
      expect((find(result, 'deadline-ops-settled', 'nocredit') as unknown as { outcomes: string[] }).outcomes).toEqual([
        'MessagingTimeout',
        'MessagingTimeout',
        'MessageDeliveryFailure',
      ]);
      expect(find(result, 'still-serving')['ok']).toBe(true);
      expectPromptTypedShutdown(result, 'nocredit');
    } finally {
      await broker.stop();
    }
  }, 60_000);

  it('reconnect loops (a peer that hangs up at once, one that never answers): deadlines, retry limits and cleanup hold', async () => {
    const result = await finish(runScenario(SCRIPT, { args: ['reconnect-loop'], killAfterMs: 60_000 }));
    assertHealthy(result);
    for (const tag of ['hangup', 'blackhole']) {
      expect((find(result, 'deadline-ops-settled', tag) as unknown as { outcomes: string[] }).outcomes).toEqual([
        'MessagingTimeout',
        'MessagingTimeout',
        'MessageDeliveryFailure',
      ]);
      expectPromptTypedShutdown(result, tag);
    }
  }, 60_000);
});
