// Failover across a 3-node RabbitMQ cluster (scripts/rabbit-nodes.mjs: oslo-c1..3@localhost on
// 127.0.0.1:5701-5703, net_ticktime 8 s), never the shared broker on 5672. A child process with Node's
// defaults (__fixtures__/cluster-load.mjs) runs call + cast load on quorum queues through a multi-host
// URL with heartbeat_timeout_threshold 6 while the node its RPC server consumes from is SIGKILLed and
// restarted, then (in a second run) frozen with SIGSTOP and resumed. Healthy means: the child never dies
// nor warns of an unhandled rejection, no call settles after its 3 s deadline (+1 s), calls work again
// within a bound (below), and every cast the broker confirmed reaches the server.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertHealthy, runScenario, type ScenarioRun } from '@oslo-messaging/testkit';
import type { ScenarioRecord, SettledRecord } from '@oslo-messaging/testkit/scenario';
// @ts-expect-error -- a plain ESM script without types
import * as nodes from '../../../scripts/rabbit-nodes.mjs';

interface NodeSpec {
  readonly name: string;
  readonly port: number;
}
const rabbit = nodes as {
  CLUSTER_NODES: readonly NodeSpec[];
  NET_TICKTIME: number;
  startCluster(): Promise<{ url: string }>;
  awaitCluster(timeoutMs?: number): Promise<void>;
  startNode(node: NodeSpec | string): Promise<void>;
  killNode(node: NodeSpec | string): Promise<void>;
  pauseNode(node: NodeSpec | string): Promise<number>;
  resumeNode(node: NodeSpec | string): Promise<void>;
  isRunning(node: NodeSpec | string): Promise<boolean>;
  ctl(node: NodeSpec | string, args: string[], o?: { timeoutMs?: number }): Promise<string>;
  consumerNodes(node: NodeSpec | string, queue: string): Promise<string[]>;
  listConnections(
    node: NodeSpec | string,
    columns?: string[],
  ): Promise<Array<{ port: number; client_properties: Array<[string, string, unknown]> }>>;
  setLogger(fn: (m: string) => void): void;
};

const FIXTURE = fileURLToPath(new URL('./__fixtures__/cluster-load.mjs', import.meta.url));
const HEARTBEAT = 6;
const CALL_TIMEOUT_MS = 3000;
/** SIGKILL closes the sockets at once: calls work again within the heartbeat time plus a few seconds. */
const KILL_RECOVERY_MS = HEARTBEAT * 1000 + 5000;
/**
 * A frozen node keeps its sockets open: the client notices through heartbeats, and the cluster through
 * net_ticktime (up to 1.25 x 8 s; until then declarations that touch the frozen node's metadata
 * wait, and a quorum queue led there has no leader). Calls work again within the later of the two
 * plus a few seconds: the reconnect delay (1 s by default), the declarations on the new node (a classic
 * reply queue homed on the frozen node answers 404 only once the cluster declared it down, then it is
 * deleted and declared again), and the first round trip. Measured by the first successful call, which
 * can start only when the call in flight at recovery times out: one call timeout more (runs: 12-19 s; bound 22 s).
 */
const PAUSE_RECOVERY_MS = Math.max(HEARTBEAT, rabbit.NET_TICKTIME * 1.25) * 1000 + 9000 + CALL_TIMEOUT_MS;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;
const events: string[] = [];
const note = (m: string) => void events.push(`${new Date().toISOString()} ${m}`);
rabbit.setLogger(note);

let url = '';
const topics: string[] = [];

/** A node that answers, to ask about the cluster. */
async function liveNode(except?: string): Promise<NodeSpec> {
  for (const n of rabbit.CLUSTER_NODES) if (n.name !== except && (await rabbit.isRunning(n))) return n;
  throw new Error('no cluster node answers');
}

/**
 * The node the scenario's RPC server consumes from (its connection, and the consumer the quorum
 * queues hold); among nodes without it, the one with most of the child's connections (reply, send
 * pool: each picks a host of the URL at random). The connections per node are reported.
 */
async function nodeInUse(topic: string, childPid: number): Promise<{ node: NodeSpec; connections: string }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ask = await liveNode();
    const server = (await rabbit.consumerNodes(ask, topic))[0];
    const conns = (await rabbit.listConnections(ask, ['port', 'client_properties'])).filter((c) =>
      c.client_properties.some(([k, , v]) => k === 'connection_name' && String(v).includes(`:${childPid}:`)),
    );
    const count = (n: NodeSpec) => conns.filter((c) => c.port === n.port).length;
    const ranked = [...rabbit.CLUSTER_NODES].sort(
      (a, b) => Number(b.name === server) - Number(a.name === server) || count(b) - count(a),
    );
    if (server && conns.length > 0)
      return {
        node: ranked[0]!,
        connections: rabbit.CLUSTER_NODES.map((n) => `${n.name}: ${count(n)}`).join(', ') + `; RPC server on ${server}`,
      };
    if (Date.now() > deadline) throw new Error(`cannot tell which node ${topic}'s scenario uses`);
    await sleep(500);
  }
}

/** Waits until the topic's quorum queues have every member online (a majority at the very least). */
async function awaitQuorum(topic: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const rows = JSON.parse(
        await rabbit.ctl(await liveNode(), [
          'list_queues',
          'name',
          'type',
          'leader',
          'members',
          'online',
          '--formatter',
          'json',
        ]),
      ) as Array<{ name: string; type: string; members: string[]; online: string[] }>;
      const mine = rows.filter((r) => r.name === topic || r.name === `${topic}.srv1`);
      last = JSON.stringify(mine);
      if (
        mine.length === 2 &&
        mine.every((r) => r.type === 'quorum' && r.online.length === rabbit.CLUSTER_NODES.length)
      )
        return;
    } catch (e) {
      last = String(e);
    }
    await sleep(500);
  }
  throw new Error(`the quorum queues of ${topic} have no full membership online: ${last}`);
}

const isCall = (r: ScenarioRecord): r is SettledRecord => r.event === 'settled' && (r as SettledRecord).op === 'call';

/** The first call started at or after `since` that succeeded; resolves with when it settled. */
async function firstGoodCallAfter(run: ScenarioRun, since: number, timeoutMs: number): Promise<number> {
  const r = (await run.waitFor((x) => isCall(x) && x.ok && x.startedAt >= since, timeoutMs)) as SettledRecord;
  return r.startedAt + r.elapsedMs;
}

function summary(records: readonly ScenarioRecord[]): string {
  const settled = records.filter((r): r is SettledRecord => r.event === 'settled');
  const calls = settled.filter((r) => r.op === 'call' || r.op === 'fresh-call');
  const casts = settled.filter((r) => r.op === 'cast');
  const errors = new Map<string, number>();
  for (const c of calls.filter((x) => !x.ok))
    errors.set(
      `${c.error}: ${c.message?.slice(0, 80)}`,
      (errors.get(`${c.error}: ${c.message?.slice(0, 80)}`) ?? 0) + 1,
    );
  return [
    `calls ${calls.length} (ok ${calls.filter((c) => c.ok).length}, slowest ${Math.max(0, ...calls.map((c) => c.elapsedMs))} ms), casts ${casts.length} (ok ${casts.filter((c) => c.ok).length}, slowest ${Math.max(0, ...casts.map((c) => c.elapsedMs))} ms)`,
    ...[...errors].map(([k, v]) => `  ${v} x ${k}`),
    ...records
      .filter((r) => r.event === 'driver' && r['level'] !== 'debug' && r['level'] !== 'info')
      .slice(0, 30)
      .map((r) => `  driver ${new Date(r['at'] as number).toISOString()} ${String(r['message'])}`),
    ...events.slice(-20).map((e) => `  ${e}`),
  ].join('\n');
}

async function finish(
  run: ScenarioRun,
  topic: string,
): Promise<{ drained: ScenarioRecord; records: readonly ScenarioRecord[] }> {
  run.send('stop');
  const result = await run.done;
  // Every record, for a post-mortem of a failed run.
  writeFileSync(
    join(tmpdir(), `oslo-${topic}.jsonl`),
    [...result.records, ...events.map((e) => ({ event: 'harness', e }))].map((r) => JSON.stringify(r)).join('\n'),
  );
  const info = summary(result.records);
  expect(
    result.records.filter((r) => r.event === 'hung'),
    `operations that never settled\n${info}`,
  ).toEqual([]);
  expect(
    result.records.filter((r) => r.event === 'lingering'),
    `the child did not exit after transport.cleanup()\n${info}`,
  ).toEqual([]);
  try {
    assertHealthy(result); // never died, no unhandled rejection, nothing settled past its deadline + 1 s
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- what happened ---\n${info}`);
  }
  const drained = result.records.find((r) => r.event === 'drained');
  expect(drained, info).toBeDefined();
  expect(
    result.records.filter((r) => r.event === 'wrong-reply'),
    info,
  ).toEqual([]);
  return { drained: drained!, records: result.records };
}

beforeAll(async () => {
  ({ url } = await rabbit.startCluster());
}, 300_000);

afterAll(async () => {
  // Whatever happened, leave a whole cluster behind, without this file's quorum queues.
  for (const n of rabbit.CLUSTER_NODES) await rabbit.resumeNode(n).catch(() => undefined);
  for (const n of rabbit.CLUSTER_NODES) await rabbit.startNode(n).catch(() => undefined);
  await rabbit.awaitCluster().catch(() => undefined);
  const n = await liveNode().catch(() => undefined);
  if (n)
    for (const t of topics)
      for (const q of [t, `${t}.srv1`]) await rabbit.ctl(n, ['delete_queue', q]).catch(() => undefined);
}, 300_000);

/** Starts the load in a child process and waits until it runs on quorum queues with a majority; returns the node in use. */
async function startLoad(prefix: string) {
  const topic = uniq(prefix);
  topics.push(topic);
  const run = runScenario(FIXTURE, { args: [url, topic], killAfterMs: 240_000, env: { OSLO_SCENARIO_VERBOSE: '1' } });
  const childPid = (await run.waitFor('ready', 90_000))['pid'] as number;
  await awaitQuorum(topic);
  await sleep(3000);
  return { topic, run, ...(await nodeInUse(topic, childPid)) };
}

/** After the faulted node is back: calls started since then all succeed, and no confirmed cast was lost. */
function expectHealthyAfter(
  records: readonly ScenarioRecord[],
  drained: ScenarioRecord,
  backAt: number,
  info: string,
): void {
  const late = records.filter((r): r is SettledRecord => isCall(r) && r.startedAt > backAt);
  expect(late.length, info).toBeGreaterThan(5);
  expect(
    late.filter((c) => !c.ok),
    info,
  ).toEqual([]);
  expect(
    drained['missingCount'],
    `confirmed casts that never reached the server: ${JSON.stringify(drained)}\n${info}`,
  ).toBe(0);
  expect(drained['confirmed'] as number, info).toBeGreaterThan(50);
}

describe('RabbitMQ cluster failover (quorum queues, multi-host URL)', () => {
  it('keeps call and cast traffic healthy when the node in use is SIGKILLed and restarted (and a client started at that moment works)', async () => {
    const { topic, run, node: victim, connections } = await startLoad('cluster_kill');
    note(`SIGKILL ${victim.name} (connections: ${connections})`);
    const killedAt = Date.now();
    await rabbit.killNode(victim);
    // A client that starts right now (a service starting during the failover) must work too.
    run.send('fresh-client');
    const [recoveredAt, freshOkAt] = await Promise.all([
      firstGoodCallAfter(run, killedAt, 60_000).catch(() => Infinity),
      run
        .waitFor(
          (x) => x.event === 'settled' && (x as SettledRecord).op === 'fresh-call' && (x as SettledRecord).ok,
          60_000,
        )
        .then(
          (r) => (r as SettledRecord).startedAt + (r as SettledRecord).elapsedMs,
          () => Infinity,
        ),
    ]);
    note(
      `calls work again ${recoveredAt - killedAt} ms after the kill; a client started at the kill: first call ok after ${freshOkAt - killedAt} ms`,
    );
    await sleep(2000);
    await rabbit.startNode(victim);
    await rabbit.awaitCluster();
    await awaitQuorum(topic);
    note(`${victim.name} is back with full quorum membership`);
    const backAt = Date.now();
    await sleep(5000);
    const { drained, records } = await finish(run, topic);
    const info = summary(records);
    expect(
      recoveredAt - killedAt,
      `calls did not work again within ${KILL_RECOVERY_MS} ms of the kill\n${info}`,
    ).toBeLessThanOrEqual(KILL_RECOVERY_MS);
    expect(
      freshOkAt - killedAt,
      `a client started at the kill made no successful call within ${KILL_RECOVERY_MS} ms\n${info}`,
    ).toBeLessThanOrEqual(KILL_RECOVERY_MS);
    // Once the node is back, calls keep working.
    expectHealthyAfter(records, drained, backAt, info);
  }, 300_000);

  it('keeps call and cast traffic healthy when the node in use is frozen (SIGSTOP) and resumed', async () => {
    await rabbit.awaitCluster();
    const { topic, run, node: victim, connections } = await startLoad('cluster_pause');
    note(`SIGSTOP ${victim.name} (connections: ${connections})`);
    const pausedAt = Date.now();
    await rabbit.pauseNode(victim);
    let recoveredAt = Infinity;
    try {
      recoveredAt = await firstGoodCallAfter(run, pausedAt, 60_000).catch(() => Infinity);
      note(`calls work again ${recoveredAt - pausedAt} ms after the freeze`);
      // Frozen long enough for the cluster to declare the node down, as a real hang would be.
      const minPause = rabbit.NET_TICKTIME * 1500;
      if (Date.now() - pausedAt < minPause) await sleep(minPause - (Date.now() - pausedAt));
    } finally {
      await rabbit.resumeNode(victim);
      note(`SIGCONT ${victim.name} after ${Date.now() - pausedAt} ms`);
    }
    await rabbit.awaitCluster();
    await awaitQuorum(topic);
    note(`${victim.name} is back with full quorum membership`);
    const backAt = Date.now();
    await sleep(5000);
    const { drained, records } = await finish(run, topic);
    const info = summary(records);
    expect(
      recoveredAt - pausedAt,
      `calls did not work again within ${PAUSE_RECOVERY_MS} ms of the freeze\n${info}`,
    ).toBeLessThanOrEqual(PAUSE_RECOVERY_MS);
    expectHealthyAfter(records, drained, backAt, info);
  }, 300_000);
});
