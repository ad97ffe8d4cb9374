// Drives the real `oslo-messaging` binary as a user would: spawned processes, real output,
// RabbitMQ where two processes must talk.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

// The command as npm links it for the workspace (the link exists from install time on, before any build).
const BIN = fileURLToPath(new URL('../../../node_modules/.bin/oslo-messaging', import.meta.url));
const RABBIT = 'rabbit://guest:guest@127.0.0.1:5672/';
const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;
const dir = mkdtempSync(join(tmpdir(), 'oslo-cli-'));

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const running: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const p of running.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
});

/** Starts a long-running command; resolves when `ready` matches its output. */
async function start(args: string[], ready: RegExp) {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: 'pipe' });
  running.push(proc);
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + 20_000;
  while (!ready.test(out + err)) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`not ready: ${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, output: () => out, errors: () => err, exited };
}

describe('oslo-messaging command', () => {
  it('explains itself: --help on every command, usage errors exit 2', () => {
    for (const cmd of ['call', 'cast', 'notify', 'listen', 'serve', 'bench', 'list-plugins']) {
      const r = run([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.out, cmd).toMatch(/Usage: oslo-messaging/);
    }
    expect(run(['call', '--help']).out).toContain('Examples:');
    const bad = run(['call', '--topic', 't']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('METHOD is required');
    expect(run(['frobnicate']).code).toBe(2);
    expect(run(['call', '--nope']).code).toBe(2);
    expect(run(['notify', '--event-type', 'e', '--priority', 'loud']).err).toContain('--priority must be one of');
  });

  it('names the package to install for a missing driver, and never prints passwords', () => {
    const r = run(['call', '--url', 'kafka://user:topsecret@k1:9092/', '--topic', 't', 'ping']);
    expect(r.code).toBe(3);
    expect(r.err).toContain('DriverLoadFailure');
    expect(r.err).toContain('npm install @oslo-messaging/driver-kafka');
    expect(r.err + r.out).not.toContain('topsecret');
  });

  it('serve and call across processes with an oslo.config file; remote errors exit 1 with class and message', async () => {
    const topic = uniq('cli');
    const conf = join(dir, 'nova.conf');
    writeFileSync(
      conf,
      `[DEFAULT]\n# like nova.conf\ntransport_url = ${RABBIT}\ncontrol_exchange = ${topic}_x\n\n[oslo_messaging_rabbit]\nrabbit_qos_prefetch_count = 10\n`,
    );
    const server = await start(['serve', '--config-file', conf, '--topic', topic, '--server', 'h1'], /"ready":true/);
    const echo = run(['call', '--config-file', conf, '--topic', topic, 'echo', 'n=3', 's=text', 'list=[1,2]']);
    expect(echo.code, echo.err).toBe(0);
    expect(JSON.parse(echo.out)).toEqual({ n: 3, s: 'text', list: [1, 2] });
    expect(
      JSON.parse(run(['call', '--config-file', conf, '--topic', topic, '--server', 'h1', 'info']).out),
    ).toMatchObject({ server: 'h1', topic });
    const failed = run([
      'call',
      '--config-file',
      conf,
      '--topic',
      topic,
      'fail',
      'kind=value',
      'message=no such flavor',
    ]);
    expect(failed.code).toBe(1);
    expect(failed.err).toContain('ValueError: no such flavor');
    const other = run(['call', '--config-file', conf, '--topic', topic, 'fail', 'kind=other', 'message=custom']);
    expect(other.code).toBe(1);
    expect(other.err).toContain('ServeFailure: custom');
    expect(run(['cast', '--config-file', conf, '--topic', topic, '--fanout', 'ping']).code).toBe(0);
    const timeout = run(['call', '--config-file', conf, '--topic', uniq('nobody'), '--timeout', '1', 'ping']);
    expect(timeout.code).toBe(1);
    expect(timeout.err).toContain('MessagingTimeout');
    // Ctrl-C stops the server cleanly.
    server.proc.kill('SIGINT');
    expect(await server.exited).toBe(130);
    expect(server.errors()).toMatch(/ping \{\}/);
  }, 90_000);

  it('notify reaches listen, as text and as JSON lines, with filters and pools', async () => {
    const topic = uniq('cli_n');
    const text = await start(['listen', '--url', RABBIT, '--topic', topic, '--pool', `${topic}_text`], /listening on/);
    const json = await start(
      [
        'listen',
        '--url',
        RABBIT,
        '--topic',
        topic,
        '--pool',
        `${topic}_json`,
        '--json',
        '--filter',
        'event_type=compute\\.',
      ],
      /listening on/,
    );
    for (const [event, priority] of [
      ['compute.instance.create.end', 'info'],
      ['image.upload', 'error'],
    ] as const) {
      const r = run([
        'notify',
        '--url',
        RABBIT,
        '--topic',
        topic,
        '--publisher-id',
        'compute.h1',
        '--event-type',
        event,
        '--priority',
        priority,
        '--payload',
        '{"id": 7}',
      ]);
      expect(r.code, r.err).toBe(0);
    }
    const deadline = Date.now() + 15_000;
    while (
      (!text.output().includes('image.upload') || !json.output().includes('compute.instance')) &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 50));
    expect(text.output()).toMatch(/INFO\s+compute\.instance\.create\.end from compute\.h1: \{"id":7\}/);
    expect(text.output()).toMatch(/ERROR\s+image\.upload/);
    const lines = json
      .output()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      priority: 'info',
      event_type: 'compute.instance.create.end',
      publisher_id: 'compute.h1',
      payload: { id: 7 },
    });
    text.proc.kill('SIGINT');
    json.proc.kill('SIGINT');
    expect(await text.exited).toBe(130);
    expect(await json.exited).toBe(130);
  }, 90_000);

  it('bench prints a table, JSON with lost/duplicated counts, and an SVG plot', () => {
    const table = run(['bench', '--url', 'fake://', '--mode', 'cast', '--concurrency', '1,4', '--duration', '0.5']);
    expect(table.code, table.err).toBe(0);
    expect(table.out).toMatch(/mode\s+clients\s+msgs\/s\s+p50 ms\s+p95 ms\s+p99 ms\s+sent\s+lost\s+dup/);
    const plot = join(dir, 'bench.svg');
    const r = run([
      'bench',
      '--url',
      'fake://',
      '--mode',
      'call',
      '--concurrency',
      '1,2',
      '--duration',
      '0.5',
      '--json',
      '--plot',
      plot,
    ]);
    expect(r.code, r.err).toBe(0);
    const levels = JSON.parse(r.out) as Array<Record<string, number>>;
    expect(levels.map((l) => l['concurrency'])).toEqual([1, 2]);
    for (const l of levels) {
      expect(l['msgsPerSecond']).toBeGreaterThan(0);
      expect(l['lost']).toBe(0);
      expect(l['duplicated']).toBe(0);
      expect(l['p99Ms']).toBeGreaterThanOrEqual(l['p50Ms']!);
    }
    expect(readFileSync(plot, 'utf8')).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<\/svg>/);
    expect(run(['bench', '--url', 'fake://', '--concurrency', '0']).code).toBe(2);
  }, 60_000);

  it('takes the URL from OSLO_MESSAGING_TRANSPORT_URL and lists plugins', () => {
    const r = run(['bench', '--mode', 'notify', '--concurrency', '1', '--duration', '0.3', '--json'], {
      OSLO_MESSAGING_TRANSPORT_URL: 'fake://',
    });
    expect(r.code, r.err).toBe(0);
    expect((JSON.parse(r.out) as Array<Record<string, number>>)[0]!['received']).toBeGreaterThan(0);
    expect(run(['list-plugins']).out).toMatch(/oslo\.messaging\.drivers\s+fake\s+@oslo-messaging\/driver-fake/);
  }, 60_000);
});
