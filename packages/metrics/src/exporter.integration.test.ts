// Against the real exporter: Debian's oslo.metrics (python3-oslo.metrics, `/usr/bin/python3 -m oslo_metrics`),
// reading our datagrams and a Python oslo.messaging client's from the same socket, scraped over HTTP.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRpcClient, getRpcServer, getRpcTransport, silentLogger } from '@oslo-messaging/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkPeer,
  DEBIAN_PEER,
  pythonPeers,
  upstreamPeer,
  type OsloPeer,
} from '../../../test-fixtures/oslo-peer/python-peer.js';

const RABBIT_URL = process.env['OSLO_TEST_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const CLIENT_FAMILIES = [
  'oslo_messaging_rpc_client_invocation_start_total',
  'oslo_messaging_rpc_client_invocation_end_total',
  'oslo_messaging_rpc_client_processing_seconds',
  'oslo_messaging_rpc_client_exception_total',
] as const;

/** One sample of the Prometheus text format. */
interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** `python3 -m oslo_metrics` with its own socket file and Prometheus port; fails loudly if it cannot start. */
async function startExporter() {
  const dir = mkdtempSync(join(tmpdir(), 'oslo-metrics-exporter-'));
  const socket = join(dir, 'metrics_collector.sock');
  const port = await freePort();
  const conf = join(dir, 'oslo-metrics.conf');
  writeFileSync(conf, `[oslo_metrics]\nmetrics_socket_file = ${socket}\nprometheus_port = ${port}\n`);
  const proc: ChildProcessWithoutNullStreams = spawn(
    '/usr/bin/python3',
    ['-m', 'oslo_metrics', '--config-file', conf],
    { cwd: dir, stdio: 'pipe', env: { ...process.env, PYTHONPATH: '' } },
  );
  let log = '';
  proc.stdout.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
  proc.stderr.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}/`;
  const scrape = async (): Promise<Sample[]> => {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return parsePrometheus(await res.text());
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null)
      throw new Error(
        `python3 -m oslo_metrics exited with ${proc.exitCode} (is python3-oslo.metrics installed? scripts/services.mjs installs it):\n${log}`,
      );
    if (
      existsSync(socket) &&
      (await scrape().then(
        () => true,
        () => false,
      ))
    )
      break;
    if (Date.now() > deadline)
      throw new Error(`python3 -m oslo_metrics did not come up (socket ${socket}, ${url}) within 30 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await Promise.race([new Promise((r) => proc.once('exit', r)), new Promise((r) => setTimeout(r, 3000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { socket, port, url, scrape, stop, log: () => log };
}

type Exporter = Awaited<ReturnType<typeof startExporter>>;

/** The client samples of one `process` label, keyed `family{labels without process}` → value. */
function series(samples: Sample[], processName: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    // Counters show as `<name>` (and `<name minus _total>_created`), histograms as `<name>_bucket|_count|_sum|_created`.
    if (!CLIENT_FAMILIES.some((f) => s.name === f || s.name.startsWith(`${f}_`)) || s.labels['process'] !== processName)
      continue;
    if (s.name.endsWith('_created')) continue; // creation timestamps differ by nature
    if (s.name.endsWith('_sum')) continue; // durations differ by nature
    const { process: _p, ...rest } = s.labels;
    const key = `${s.name}{${Object.keys(rest)
      .sort()
      .map((k) => `${k}=${rest[k]}`)
      .join(',')}}`;
    out.set(key, s.name.endsWith('_bucket') ? -1 : s.value); // bucket counts depend on timing: keep the series only
  }
  return out;
}

async function waitFor(
  exporter: Exporter,
  check: (samples: Sample[]) => boolean,
  what: string,
  ms = 30_000,
): Promise<Sample[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const samples = await exporter.scrape();
    if (check(samples)) return samples;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; exporter log:\n${exporter.log()}\nscrape:\n${samples
          .filter((s) => s.name.includes('rpc_client'))
          .map((s) => JSON.stringify(s))
          .join('\n')}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

const count = (samples: Sample[], name: string, processName: string) =>
  samples.filter((s) => s.name === name && s.labels['process'] === processName).reduce((n, s) => n + s.value, 0);

describe('the oslo.metrics exporter (Debian python3-oslo.metrics) shows our RPC client metrics', () => {
  let exporter: Exporter;
  beforeAll(async () => {
    exporter = await startExporter();
  });
  afterAll(async () => {
    await exporter?.stop();
  });

  it("over the fake driver: names, labels and values as oslo.messaging's", async () => {
    const config = {
      oslo_messaging_metrics: {
        metrics_enabled: 'true',
        metrics_socket_file: exporter.socket,
        metrics_process_name: 'node-test',
      },
    };
    const transport = await getRpcTransport({ url: 'fake://', config, logger: silentLogger });
    const server = getRpcServer(transport, { topic: 'metrics_fake', server: 'srv' }, [
      {
        target: { version: '1.2' },
        echo: (_c: object, a: { v: number }) => a.v,
        fail: () => {
          throw new RangeError('out of range');
        },
      },
    ]);
    await server.start();
    let failure: unknown;
    try {
      const client = getRpcClient(transport, { topic: 'metrics_fake', version: '1.2' }, { timeout: 10 });
      for (let i = 0; i < 3; i++) expect(await client.call({}, 'echo', { v: i })).toBe(i);
      await client.prepare({ fanout: true }).cast({}, 'echo', { v: 9 });
      failure = await client
        .prepare({ server: 'srv' })
        .call({}, 'fail')
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(Error);
    } finally {
      await server.stop();
      await server.wait();
      await transport.cleanup();
    }
    const samples = await waitFor(
      exporter,
      (s) =>
        count(s, 'oslo_messaging_rpc_client_invocation_start_total', 'node-test') === 5 &&
        count(s, 'oslo_messaging_rpc_client_exception_total', 'node-test') === 1,
      'our 5 starts and 1 exception',
    );
    const ours = (name: string) => samples.filter((s) => s.name === name && s.labels['process'] === 'node-test');
    const base = {
      call_type: 'call',
      exchange: 'None',
      topic: 'metrics_fake',
      namespace: 'None',
      version: '1.2',
      server: 'None',
      fanout: 'None',
      process: 'node-test',
      method: 'echo',
      timeout: 'None',
    };
    expect(ours('oslo_messaging_rpc_client_invocation_start_total')).toEqual([
      { name: 'oslo_messaging_rpc_client_invocation_start_total', labels: base, value: 3 },
      {
        name: 'oslo_messaging_rpc_client_invocation_start_total',
        labels: { ...base, call_type: 'cast', fanout: 'True' },
        value: 1,
      },
      {
        name: 'oslo_messaging_rpc_client_invocation_start_total',
        labels: { ...base, server: 'srv', method: 'fail' },
        value: 1,
      },
    ]);
    expect(ours('oslo_messaging_rpc_client_invocation_end_total')).toEqual([
      { name: 'oslo_messaging_rpc_client_invocation_end_total', labels: base, value: 3 },
      {
        name: 'oslo_messaging_rpc_client_invocation_end_total',
        labels: { ...base, call_type: 'cast', fanout: 'True' },
        value: 1,
      },
    ]);
    expect(ours('oslo_messaging_rpc_client_processing_seconds_count')).toEqual([
      { name: 'oslo_messaging_rpc_client_processing_seconds_count', labels: base, value: 3 },
      {
        name: 'oslo_messaging_rpc_client_processing_seconds_count',
        labels: { ...base, call_type: 'cast', fanout: 'True' },
        value: 1,
      },
    ]);
    const sum = ours('oslo_messaging_rpc_client_processing_seconds_sum')[0]!.value;
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(5);
    const inf = ours('oslo_messaging_rpc_client_processing_seconds_bucket').find(
      (s) => s.labels['le'] === '+Inf' && s.labels['call_type'] === 'call',
    );
    expect(inf?.value).toBe(3);
    expect(ours('oslo_messaging_rpc_client_exception_total')).toEqual([
      {
        name: 'oslo_messaging_rpc_client_exception_total',
        labels: { ...base, server: 'srv', method: 'fail', exception: (failure as Error).constructor.name },
        value: 1,
      },
    ]);
    // The exporter understood every datagram: no parse, lookup or label errors in its log.
    expect(exporter.log()).not.toMatch(/Failed to (parse|lookup|load|perform)/);
  });

  /** Debian's 14.0.3 and upstream 18.1.0: a missing or broken peer fails, never skips. */
  const PEERS: ReadonlyArray<{ version: string; prepare: () => Promise<OsloPeer> }> = [
    { version: '14.0.3', prepare: async () => DEBIAN_PEER },
    { version: '18.1.0', prepare: upstreamPeer },
  ];

  it.each(PEERS)(
    'over RabbitMQ: our client and a Python $version client, calling the same Python server, produce the same metrics',
    async ({ version, prepare }) => {
      const oslo = await prepare();
      expect((await checkPeer(oslo)).version).toBe(version);
      const pyProcess = `python-${version}`;
      const nodeProcess = `node-vs-${version}`;
      const metricsEnv = {
        OS_OSLO_MESSAGING_METRICS__METRICS_ENABLED: 'true',
        OS_OSLO_MESSAGING_METRICS__METRICS_SOCKET_FILE: exporter.socket,
        OS_OSLO_MESSAGING_METRICS__METRICS_PROCESS_NAME: pyProcess,
        // Upstream's send thread keeps a Python process alive this long after its last send.
        OS_OSLO_MESSAGING_METRICS__METRICS_THREAD_STOP_TIMEOUT: '1',
      };
      const server = pythonPeers(RABBIT_URL, DEBIAN_PEER);
      const clients = pythonPeers(RABBIT_URL, { ...oslo, env: { ...oslo.env, ...metricsEnv } });
      const topic = `metrics_${version.replace(/\./g, '_')}_${Math.random().toString(36).slice(2, 8)}`;
      const config = {
        oslo_messaging_metrics: {
          metrics_enabled: 'true',
          metrics_socket_file: exporter.socket,
          metrics_process_name: nodeProcess,
        },
      };
      const transport = await getRpcTransport({ url: RABBIT_URL, config, logger: silentLogger });
      try {
        const srv = server.peer(['serve', '--topic', topic, '--server', 'py-server']);
        await srv.until((l) => l.some((x) => x['ready']), 'the Python server');
        // The same three invocations from each client, one Python process each (14.0.3's collector keeps
        // the labels of the first invocation of a process): a call, a cast, a call that fails remotely.
        const ours = getRpcClient(transport, { topic }, { timeout: 15 });
        expect(await ours.call({}, 'echo', { payload: 'x' })).toBe('x');
        await ours.cast({}, 'count', { payload: 1 });
        const err = await ours.call({}, 'fail', { kind: 'custom' }).catch((e: unknown) => e);
        expect((err as Error).constructor.name).toBe('RemoteError');
        expect(
          await clients.python(['call', '--topic', topic, '--method', 'echo', '--args', '{"payload": "x"}']),
        ).toEqual({ result: 'x' });
        expect(
          await clients.python(['call', '--topic', topic, '--method', 'count', '--args', '{"payload": 1}', '--cast']),
        ).toEqual({ result: null });
        expect(
          (await clients.python(['call', '--topic', topic, '--method', 'fail', '--args', '{"kind": "custom"}']))[
            'error'
          ],
        ).toMatchObject({ class: 'RemoteError' });
        await srv.until((l) => l.filter((x) => x['cast'] !== undefined).length === 2, 'both casts handled');
      } finally {
        server.killAll();
        await transport.cleanup();
      }
      const done = (p: string) => (s: Sample[]) =>
        count(s, 'oslo_messaging_rpc_client_invocation_start_total', p) === 3 &&
        count(s, 'oslo_messaging_rpc_client_exception_total', p) === 1;
      const samples = await waitFor(
        exporter,
        (s) =>
          done(nodeProcess)(s) &&
          done(pyProcess)(s) &&
          count(s, 'oslo_messaging_rpc_client_invocation_end_total', pyProcess) >= 2,
        "both clients' metrics",
      );
      clients.killAll();
      const node = series(samples, nodeProcess);
      const py = series(samples, pyProcess);
      // The same metric names, each with the same label names.
      const labelNames = (p: string) =>
        [
          ...new Set(
            samples
              .filter((s) => s.labels['process'] === p && s.name.includes('rpc_client'))
              .map((s) => `${s.name}(${Object.keys(s.labels).sort().join(',')})`),
          ),
        ].sort();
      expect(labelNames(nodeProcess)).toEqual(labelNames(pyProcess));
      expect(labelNames(nodeProcess).map((n) => n.split('(')[0])).toEqual(
        expect.arrayContaining([
          ...CLIENT_FAMILIES.filter((f) => f !== 'oslo_messaging_rpc_client_processing_seconds'),
          'oslo_messaging_rpc_client_processing_seconds_count',
          'oslo_messaging_rpc_client_processing_seconds_bucket',
          'oslo_messaging_rpc_client_processing_seconds_sum',
        ]),
      );
      if (version === '18.1.0') {
        // 18.1 is what we implement: every series (label values included) and every count is the same.
        expect(Object.fromEntries(node)).toEqual(Object.fromEntries(py));
      } else {
        // 14.0.3 also counts a failed call as ended and measures it (its __exit__ runs on exceptions);
        // 18.1's measure_metrics, which we follow, does not. Everything else is the same.
        const failedEnd = [...py.keys()].filter(
          (k) => k.includes('method=fail') && (k.includes('_end_total') || k.includes('processing_seconds')),
        );
        expect(failedEnd.length).toBeGreaterThan(0);
        const pyWithout = new Map([...py].filter(([k]) => !failedEnd.includes(k)));
        expect(Object.fromEntries(node)).toEqual(Object.fromEntries(pyWithout));
      }
      expect(exporter.log()).not.toMatch(/Failed to (parse|lookup|load|perform)/);
    },
    120_000,
  );
});
