// Shared by the RabbitMQ fault tests: the broker control (always async, so the code under test
// keeps running while a fault is staged) and the load scenario runner.
import { execFile } from 'node:child_process';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { assertHealthy, runScenario, type ScenarioResult } from '@oslo-messaging/testkit';
import type { ScenarioRecord } from '@oslo-messaging/testkit/scenario';
import { expect } from 'vitest';

const run = promisify(execFile);
export const RABBIT_URL = 'rabbit://guest:guest@127.0.0.1:5672/';
export const SCENARIO = fileURLToPath(new URL('./rpc-load.scenario.mjs', import.meta.url));
export const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Fast reconnects, so that a test sees recovery in seconds. */
export const FAST_RECONNECT = {
  rabbit_retry_interval: 0.5,
  rabbit_retry_backoff: 0.5,
  rabbit_interval_max: 2,
  kombu_reconnect_delay: 0.2,
};

export async function ctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', args, { encoding: 'utf8', timeout: 120_000 });
  return stdout;
}

export async function beamPid(): Promise<number> {
  return Number((await ctl('eval', 'os:getpid().')).trim().replace(/"/g, ''));
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => (s.destroy(), resolve(ok));
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Puts the broker back whatever a test did to it: resumed, app running, memory watermark restored. */
export async function restoreBroker(pid: number | undefined, watermark = '0.4'): Promise<void> {
  if (pid) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // not stopped, or gone
    }
  }
  if (!(await portOpen(5672))) {
    try {
      await ctl('start_app');
    } catch {
      await run('rabbitmq-server', ['-detached']).catch(() => undefined);
    }
  }
  await ctl('await_startup', '--timeout', '120');
  await ctl('set_vm_memory_high_watermark', watermark).catch(() => undefined);
}

export interface LoadRun {
  readonly result: ScenarioResult;
  readonly summary: ScenarioRecord;
  /** When staging the fault began, and when it was in place (e.g. stop_app returned). */
  readonly faultAt: number;
  readonly stagedAt: number;
  readonly restoredAt: number;
}

/**
 * Runs the load scenario in a child process, stages `fault` for `outageMs` (longer than the calls'
 * timeout), undoes it, and checks the contract: the child is healthy (no crash, no unhandled
 * rejection, nothing past its deadline), calls succeed again within `recoverWithinMs`, calls that
 * failed failed with a typed error, and no confirmed cast was lost.
 */
export async function underLoad(options: {
  scenario: Record<string, unknown>;
  stage: () => Promise<void>;
  undo: () => Promise<void>;
  outageMs: number;
  recoverWithinMs: number;
}): Promise<LoadRun> {
  const child = runScenario(SCENARIO, { env: { SCENARIO: JSON.stringify(options.scenario) }, killAfterMs: 240_000 });
  try {
    child.send('server');
    const started = await child.waitFor((r) => r.event === 'settled' && r['op'] === 'server-start', 60_000);
    expect(started['ok'], JSON.stringify(started)).toBe(true);
    child.send('load');
    await sleep(2000);
    const faultAt = Date.now();
    await options.stage();
    const stagedAt = Date.now();
    await sleep(options.outageMs);
    await options.undo();
    const restoredAt = Date.now();
    await child.waitFor(
      (r) => r.event === 'settled' && r['op'] === 'call' && r['ok'] === true && Number(r['startedAt']) >= restoredAt,
      options.recoverWithinMs,
    );
    await sleep(1000);
    // Recovered without duplicates: one consumer on each queue of the server and the listener.
    const topic = String(options.scenario['topic']);
    const queues = await ctl('list_queues', '-q', 'name', 'consumers');
    for (const q of [topic, `${topic}.s1`, `${topic}.info`])
      expect(queues, `consumers of ${q}`).toMatch(new RegExp(`^${q.replace('.', '\\.')}\\t1$`, 'm'));
    child.send('stop');
    const result = await child.done;
    assertHealthy(result);
    const summary = result.records.find((r) => r.event === 'summary');
    expect(summary, 'the scenario reported its summary').toBeDefined();
    expect(summary!['confirmed'] as number).toBeGreaterThan(0);
    expect(summary!['lost'], JSON.stringify(summary)).toBe(0);
    const calls = result.settled.filter((r) => r.op === 'call');
    const failed = calls.filter((r) => !r.ok);
    for (const f of failed)
      expect(['MessagingTimeout', 'MessageDeliveryFailure'], JSON.stringify(f)).toContain(f.error);
    expect(
      calls.filter((r) => r.ok && r.startedAt < faultAt).length,
      'calls succeeded before the fault',
    ).toBeGreaterThan(0);
    const late = calls.filter((r) => r.limitMs !== undefined && r.elapsedMs > r.limitMs);
    console.log(
      `calls: ${calls.length} (${failed.length} failed, slowest ${Math.max(...calls.map((r) => r.elapsedMs))} ms, ${late.length} past the timeout but within the slack); ${JSON.stringify(summary)}`,
    );
    return { result, summary: summary!, faultAt, stagedAt, restoredAt };
  } finally {
    if (child.child.exitCode === null) child.child.kill('SIGKILL');
  }
}
