// Reliability against the real RabbitMQ of this machine: a broker restart under traffic and a
// broker that stops answering. Disruptive (run last, alone); the broker is always restored.
import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { getNotificationListener, getNotificationTransport, getRpcClient, getRpcServer, getRpcTransport, Notifier, type Logger, type MessageHandlingServer, type Transport } from '@oslo-messaging/core';

const RABBIT_URL = 'rabbit://guest:guest@127.0.0.1:5672/';
const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ctl = (...args: string[]) => execFileSync('rabbitmqctl', args, { encoding: 'utf8', timeout: 120_000 });

function beamPid(): number {
  const out = ctl('eval', 'os:getpid().').trim().replace(/"/g, '');
  return Number(out);
}
function restore(): void {
  try {
    process.kill(beamPidCache ?? 0, 'SIGCONT');
  } catch {
    // not stopped
  }
  try {
    ctl('start_app');
  } catch {
    // already running
  }
  ctl('await_startup', '--timeout', '120');
}
let beamPidCache: number | undefined;

/** A logger that keeps what the driver says, for assertions on detection. */
function recordingLogger(): Logger & { lines: Array<{ at: number; message: string }> } {
  const lines: Array<{ at: number; message: string }> = [];
  const rec = (message: string) => void lines.push({ at: Date.now(), message });
  return { lines, debug: rec, info: rec, warn: rec, error: rec };
}

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => void unhandled.push(e);
process.on('unhandledRejection', onUnhandled);
process.on('uncaughtException', onUnhandled);

const open: Transport[] = [];
const servers: MessageHandlingServer[] = [];
afterEach(async () => {
  restore();
  for (const s of servers.splice(0)) {
    await s.stop();
    await s.wait();
  }
  await Promise.all(open.splice(0).map((t) => t.cleanup()));
});
afterAll(() => {
  restore();
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
});

const fastReconnect = { rabbit_retry_interval: 0.5, rabbit_retry_backoff: 0.5, rabbit_interval_max: 2, kombu_reconnect_delay: 0.2 };

describe('RabbitMQ driver reliability', () => {
  it('recovers from a broker restart under call, cast and notification traffic without losing confirmed casts', async () => {
    const exchange = uniq('restart_x');
    const options = { url: RABBIT_URL, controlExchange: exchange, driverOptions: { ...fastReconnect, amqp_durable_queues: true }, logger: recordingLogger() };
    const t = await getRpcTransport(options);
    const nt = await getNotificationTransport(options);
    open.push(t, nt);
    const topic = uniq('restart');
    const castsSeen = new Set<number>();
    const server = getRpcServer(t, { topic, server: 's' }, [{ echo: (_c: unknown, { v }: { v: number }) => v, record: (_c: unknown, { n }: { n: number }) => void castsSeen.add(n) }]);
    await server.start();
    servers.push(server);
    const notesSeen = new Set<number>();
    const listener = getNotificationListener(nt, [{ topic }], [{ info: async (_c: unknown, _p: string, _e: string, payload: { n: number }) => { await sleep(20); notesSeen.add(payload.n); } }]);
    await listener.start();
    servers.push(listener);

    const client = getRpcClient(t, { topic }, { timeout: 8 });
    const notifier = new Notifier(nt, { publisherId: 'p', topics: [topic] });
    const confirmedCasts: number[] = [];
    const callOutcomes: Array<{ ok: boolean; ms: number; at: number }> = [];
    let running = true;
    let n = 0;
    const traffic = (async () => {
      while (running) {
        const i = n++;
        const began = Date.now();
        await client.call({}, 'echo', { v: i }).then(
          (v) => callOutcomes.push({ ok: v === i, ms: Date.now() - began, at: began }),
          () => callOutcomes.push({ ok: false, ms: Date.now() - began, at: began }),
        );
        await client.cast({}, 'record', { n: i }).then(() => confirmedCasts.push(i), () => undefined);
        await notifier.info({}, 'evt', { n: i });
        await sleep(20);
      }
    })();
    await sleep(1500);
    const restartAt = Date.now();
    ctl('stop_app');
    await sleep(2000);
    ctl('start_app');
    ctl('await_startup', '--timeout', '120');
    const backAt = Date.now();
    await sleep(8000);
    running = false;
    await traffic;

    // Calls never hang past their timeout (plus scheduling slack), and work again after the restart.
    expect(Math.max(...callOutcomes.map((c) => c.ms))).toBeLessThan(8000 + 3000);
    const after = callOutcomes.filter((c) => c.at > backAt + 4000);
    expect(after.length).toBeGreaterThan(5);
    expect(after.every((c) => c.ok)).toBe(true);
    expect(callOutcomes.filter((c) => c.at < restartAt).every((c) => c.ok)).toBe(true);
    // Every cast the broker confirmed reached the server (durable queues).
    const deadline = Date.now() + 15_000;
    while (confirmedCasts.some((c) => !castsSeen.has(c)) && Date.now() < deadline) await sleep(50);
    expect(confirmedCasts.filter((c) => !castsSeen.has(c))).toEqual([]);
    expect(confirmedCasts.length).toBeGreaterThan(20);
    // Notifications flow again after the restart.
    const lastSent = n - 1;
    while (!notesSeen.has(lastSent) && Date.now() < deadline) await sleep(50);
    expect(notesSeen.has(lastSent)).toBe(true);
    // Queues, bindings and consumers were re-declared.
    const q = ctl('list_queues', '-q', '--no-table-headers', 'name', 'consumers');
    expect(q).toMatch(new RegExp(`^${topic}\\t1$`, 'm'));
    expect(q).toMatch(new RegExp(`^${topic}\\.s\\t1$`, 'm'));
    expect(q).toMatch(new RegExp(`^${topic}\\.info\\t1$`, 'm'));
    expect(unhandled).toEqual([]);
  }, 120_000);

  it('detects a broker that stops answering through heartbeats, and recovers when it resumes', async () => {
    const logger = recordingLogger();
    const threshold = 2;
    const t = await getRpcTransport({ url: RABBIT_URL, logger, driverOptions: { ...fastReconnect, heartbeat_timeout_threshold: threshold } });
    open.push(t);
    const topic = uniq('frozen');
    const server = getRpcServer(t, { topic, server: 's' }, [{ ping: () => 'pong' }]);
    await server.start();
    servers.push(server);
    const client = getRpcClient(t, { topic }, { timeout: 5 });
    expect(await client.call({}, 'ping')).toBe('pong');
    beamPidCache = beamPid();
    const stoppedAt = Date.now();
    process.kill(beamPidCache, 'SIGSTOP');
    try {
      const deadline = stoppedAt + threshold * 4000 + 3000;
      while (!logger.lines.some((l) => l.message.startsWith('Lost the AMQP connection')) && Date.now() < deadline) await sleep(100);
      const lost = logger.lines.find((l) => l.message.startsWith('Lost the AMQP connection'));
      expect(lost, 'heartbeat loss detected').toBeDefined();
      expect(lost!.at - stoppedAt).toBeLessThan(threshold * 4000 + 3000);
    } finally {
      process.kill(beamPidCache, 'SIGCONT');
    }
    ctl('await_startup', '--timeout', '60');
    const deadline = Date.now() + 45_000;
    let answer: unknown;
    while (Date.now() < deadline) {
      answer = await client.call({}, 'ping').catch((e: unknown) => e);
      if (answer === 'pong') break;
      await sleep(250);
    }
    expect(answer).toBe('pong');
    expect(unhandled).toEqual([]);
  }, 120_000);
});
