import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getRpcClient, getRpcServer, getRpcTransport, Target, type Logger } from '@oslo-messaging/core';
import { type RpcClientInvocation } from '@oslo-messaging/core/spi';
import { afterEach, describe, expect, it } from 'vitest';
import { OsloMetricsClient } from './client.js';
import { createOsloMetricsCollector } from './index.js';
import { resolveMetricsOptions } from './options.js';
import { connectUnixDatagram } from './socket.js';

interface UnixDgramServer {
  bind(path: string): void;
  on(event: 'error', l: (e: Error) => void): void;
  close(): void;
}
const unix = createRequire(import.meta.url)('unix-dgram') as {
  createSocket(t: 'unix_dgram', l: (b: Buffer) => void): UnixDgramServer;
};

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempSocketPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'oslo-metrics-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'metrics.sock');
}

/** A real AF_UNIX/SOCK_DGRAM socket bound at `path`, keeping every datagram as parsed JSON. */
function receiver(path: string) {
  const raw: string[] = [];
  const sock = unix.createSocket('unix_dgram', (buf) => raw.push(buf.toString('utf8')));
  sock.on('error', (e) => {
    throw e;
  });
  sock.bind(path);
  let open = true;
  const close = () => {
    if (open) sock.close();
    open = false;
  };
  cleanups.push(close);
  return {
    raw,
    json: () =>
      raw.map(
        (r) =>
          JSON.parse(r) as {
            module: string;
            name: string;
            action: { value: number | null; action: string };
            labels: Record<string, unknown>;
          },
      ),
    close,
  };
}

function recordingLogger() {
  const lines: Array<[string, string]> = [];
  const rec = (level: string) => (message: string) => void lines.push([level, message]);
  const logger: Logger = { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
  return { logger, lines };
}

function client(config: Record<string, string>, logger: Logger, closeTimeoutMs?: number) {
  const c = new OsloMetricsClient(resolveMetricsOptions({ oslo_messaging_metrics: config }), {
    logger,
    connect: connectUnixDatagram,
    closeTimeoutMs,
  });
  cleanups.push(() => c.close());
  return c;
}

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const invocation = (over: Partial<RpcClientInvocation> = {}): RpcClientInvocation => ({
  target: new Target({ topic: 'compute', server: 'host-1', version: '1.1', namespace: 'baseapi' }),
  method: 'ping',
  callType: 'call',
  timeout: 30,
  ...over,
});

const LABELS = {
  call_type: 'call',
  exchange: null,
  topic: 'compute',
  namespace: 'baseapi',
  version: '1.1',
  server: 'host-1',
  fanout: null,
  method: 'ping',
  timeout: null,
  process: 'nova-api',
};

describe('OsloMetricsClient over a real unix datagram socket', () => {
  it("sends upstream's metrics, one JSON datagram each, in upstream's order, with its labels", async () => {
    const path = tempSocketPath();
    const rx = receiver(path);
    const { logger, lines } = recordingLogger();
    const c = client({ metrics_socket_file: path, metrics_process_name: 'nova-api' }, logger);
    c.clientInvocation(invocation())(undefined);
    const fail = c.clientInvocation(
      invocation({
        method: 'boom',
        callType: 'cast',
        target: new Target({ topic: 'compute', fanout: true, exchange: 'nova' }),
      }),
    );
    class NoValidHost extends Error {}
    fail(new NoValidHost('none'));
    await until(() => rx.raw.length === 5, '5 datagrams');
    const got = rx.json();
    expect(got.map((m) => [m.module, m.name, m.action.action])).toEqual([
      ['oslo_messaging', 'rpc_client_invocation_start_total', 'inc'],
      ['oslo_messaging', 'rpc_client_processing_seconds', 'observe'],
      ['oslo_messaging', 'rpc_client_invocation_end_total', 'inc'],
      ['oslo_messaging', 'rpc_client_invocation_start_total', 'inc'],
      ['oslo_messaging', 'rpc_client_exception_total', 'inc'],
    ]);
    expect(got[0]!.labels).toEqual(LABELS);
    expect(Object.keys(got[0]!.labels)).toEqual(Object.keys(LABELS));
    expect(got[0]!.action.value).toBeNull();
    expect(got[1]!.action.value).toBeGreaterThanOrEqual(0);
    expect(got[1]!.action.value).toBeLessThan(1);
    expect(got[4]!.labels).toEqual({
      call_type: 'cast',
      exchange: 'nova',
      topic: 'compute',
      namespace: null,
      version: null,
      server: null,
      fanout: true,
      method: 'boom',
      timeout: null,
      exception: 'NoValidHost',
      process: 'nova-api',
    });
    expect(Object.keys(got[4]!.labels)).toEqual([
      'call_type',
      'exchange',
      'topic',
      'namespace',
      'version',
      'server',
      'fanout',
      'method',
      'timeout',
      'exception',
      'process',
    ]);
    // The datagrams are exactly what Python writes: its separators, `null`, `true`.
    expect(rx.raw[0]).toBe(
      '{"module": "oslo_messaging", "name": "rpc_client_invocation_start_total", "action": {"value": null, "action": "inc"}, "labels": {"call_type": "call", "exchange": null, "topic": "compute", "namespace": "baseapi", "version": "1.1", "server": "host-1", "fanout": null, "method": "ping", "timeout": null, "process": "nova-api"}}',
    );
    expect(lines).toEqual([]);
    expect(c.sent).toBe(5);
  });

  it('does no I/O on the call path: the metrics leave on a later event-loop turn', async () => {
    const path = tempSocketPath();
    const rx = receiver(path);
    const c = client({ metrics_socket_file: path }, recordingLogger().logger);
    c.clientInvocation(invocation())(undefined);
    expect(c.pending).toBe(3);
    expect(c.sent).toBe(0);
    await until(() => rx.raw.length === 3, '3 datagrams');
  });

  it("reports every call and cast through core (discovered plugin, fake driver), with the target's labels", async () => {
    const path = tempSocketPath();
    const rx = receiver(path);
    const config = {
      oslo_messaging_metrics: { metrics_enabled: 'true', metrics_socket_file: path, metrics_process_name: 'node-unit' },
    };
    const transport = await getRpcTransport({ url: 'fake://', config });
    const server = getRpcServer(transport, { topic: 'unit', server: 's1' }, [
      {
        target: { version: '1.0' },
        echo: (_c: object, a: { v: number }) => a.v,
        fail: () => {
          throw new RangeError('no');
        },
      },
    ]);
    await server.start();
    const rpc = getRpcClient(transport, { topic: 'unit', version: '1.0' });
    await expect(rpc.prepare({ timeout: 5 }).call({}, 'echo', { v: 7 })).resolves.toBe(7);
    await rpc.prepare({ fanout: true }).cast({}, 'echo', { v: 1 });
    await expect(rpc.prepare({ server: 's1', timeout: 5 }).call({}, 'fail')).rejects.toThrow();
    await server.stop();
    await server.wait();
    await transport.cleanup(); // flushes
    await until(() => rx.raw.length >= 8, '8 datagrams');
    await new Promise((r) => setTimeout(r, 50));
    const got = rx.json();
    expect(got.map((m) => `${m.name} ${String(m.labels['method'])} ${String(m.labels['call_type'])}`)).toEqual([
      'rpc_client_invocation_start_total echo call',
      'rpc_client_processing_seconds echo call',
      'rpc_client_invocation_end_total echo call',
      'rpc_client_invocation_start_total echo cast',
      'rpc_client_processing_seconds echo cast',
      'rpc_client_invocation_end_total echo cast',
      'rpc_client_invocation_start_total fail call',
      'rpc_client_exception_total fail call',
    ]);
    expect(got[3]!.labels).toMatchObject({
      topic: 'unit',
      version: '1.0',
      fanout: true,
      server: null,
      exchange: null,
      timeout: null,
      process: 'node-unit',
    });
    expect(got[6]!.labels).toMatchObject({ server: 's1', fanout: null });
    expect(typeof got[7]!.labels['exception']).toBe('string');
    expect(got[7]!.labels['exception']).not.toBe('Exception');
  });

  it("buffers metrics_buffer_size metrics and drops the rest with upstream's warning, never throwing", async () => {
    const path = tempSocketPath();
    const { logger, lines } = recordingLogger();
    const c = client({ metrics_socket_file: path, metrics_buffer_size: '5' }, logger);
    // No receiver yet: the first send fails, and 20 invocations queue 20 start metrics.
    for (let i = 0; i < 20; i++) expect(() => c.clientInvocation(invocation({ method: `m${i}` }))).not.toThrow();
    expect(c.pending).toBe(5);
    await until(() => lines.some(([l]) => l === 'warn'), 'the warning');
    const warn = lines.find(([l]) => l === 'warn')![1];
    expect(warn).toMatch(
      /^tx queues is already full\(5\/5\)\. Fails to send the metrics\(\{"module": "oslo_messaging", "name": "rpc_client_invocation_start_total", .*"method": "m19".*\}\) and 14 more$/,
    );
    await until(() => lines.some(([l]) => l === 'error'), 'the send error');
    // The receiver comes: the 5 buffered metrics arrive with the next retry (every second), in order.
    const rx = receiver(path);
    await until(() => rx.raw.length === 5, '5 datagrams', 3000);
    expect(rx.json().map((m) => m.labels['method'])).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it("with the socket missing: nothing throws, it logs upstream's error and retries every second until the exporter is there", async () => {
    const path = tempSocketPath();
    const { logger, lines } = recordingLogger();
    const c = client({ metrics_socket_file: path }, logger);
    const settle = c.clientInvocation(invocation());
    expect(() => settle(new Error('x'))).not.toThrow();
    await until(() => lines.filter(([l]) => l === 'error').length >= 2, 'two tries', 3000);
    const errors = lines.filter(([l]) => l === 'error').map(([, m]) => m);
    expect(errors[0]).toBe(
      `Failed to send metrics: connect ENOENT ${path}: no such file or directory. Wait 1 second for next try.`,
    );
    const rx = receiver(path);
    await until(() => rx.raw.length === 2, 'the 2 metrics', 3000);
    expect(rx.json().map((m) => m.name)).toEqual(['rpc_client_invocation_start_total', 'rpc_client_exception_total']);
  });

  it('reconnects when the exporter is restarted (its socket bound again at the same path)', async () => {
    const path = tempSocketPath();
    const first = receiver(path);
    const c = client({ metrics_socket_file: path }, recordingLogger().logger);
    c.clientInvocation(invocation())(undefined);
    await until(() => first.raw.length === 3, 'the first 3');
    first.close();
    rmSync(path);
    c.clientInvocation(invocation({ method: 'again' }))(undefined);
    await new Promise((r) => setTimeout(r, 100));
    const second = receiver(path);
    await until(() => second.raw.length === 3, 'the next 3 after the restart', 3000);
    expect(second.json().every((m) => m.labels['method'] === 'again')).toBe(true);
  });

  it('stops retrying metrics_thread_stop_timeout seconds after the last success, and starts again at the next metric', async () => {
    const path = tempSocketPath();
    const { logger, lines } = recordingLogger();
    const c = client({ metrics_socket_file: path, metrics_thread_stop_timeout: '1' }, logger);
    c.clientInvocation(invocation({ method: 'early' }));
    await new Promise((r) => setTimeout(r, 3000));
    const errorsAfterStop = lines.filter(([l]) => l === 'error').length;
    expect(errorsAfterStop).toBeGreaterThanOrEqual(1);
    expect(errorsAfterStop).toBeLessThanOrEqual(2); // tries at 0 s and 1 s, then the loop ends
    const rx = receiver(path);
    await new Promise((r) => setTimeout(r, 1200));
    expect(rx.raw).toEqual([]); // no loop: nothing retried
    c.clientInvocation(invocation({ method: 'late' }));
    await until(() => rx.raw.length === 2, 'both metrics after the restart of the loop');
    expect(rx.json().map((m) => m.labels['method'])).toEqual(['early', 'late']);
  }, 15_000);

  it('waits for a receiver whose queue is full (EAGAIN) instead of losing metrics', async () => {
    const path = tempSocketPath();
    // A Python receiver that reads nothing for 0.5 s: the kernel queue (net.unix.max_dgram_qlen) fills.
    const py = spawn(
      '/usr/bin/python3',
      [
        '-c',
        `
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print('ready', flush=True)
time.sleep(0.5)
n = 0
s.settimeout(3)
try:
    while n < 100:
        s.recv(65565); n += 1
except socket.timeout:
    pass
print(n, flush=True)
`,
        path,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(() => py.kill());
    let out = '';
    py.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => out.includes('ready'), 'the Python receiver');
    const { logger, lines } = recordingLogger();
    const c = client({ metrics_socket_file: path }, logger);
    for (let i = 0; i < 100; i++) c.clientInvocation(invocation());
    await until(() => c.sent >= 5, 'the first sends');
    expect(c.pending).toBeGreaterThan(50); // the kernel queue is full: the sender waits
    await until(() => /ready\n\d+\n/.test(out), 'the Python receiver to finish', 10_000);
    expect(Number(out.split('\n')[1])).toBe(100);
    expect(c.pending).toBe(0);
    expect(lines).toEqual([]); // woken by the socket turning writable, not by a failure and a retry
  }, 20_000);

  it('close() flushes what is buffered, releases the socket, and turns later invocations into no-ops', async () => {
    const path = tempSocketPath();
    const rx = receiver(path);
    const c = client({ metrics_socket_file: path }, recordingLogger().logger);
    for (let i = 0; i < 50; i++) c.clientInvocation(invocation())(undefined);
    await c.close();
    // Sent before close() resolved (the kernel holds the last ones until this process's receiver reads them).
    expect(c.sent).toBe(150);
    expect(c.pending).toBe(0);
    await until(() => rx.raw.length === 150, 'all 150');
    c.clientInvocation(invocation())(undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(rx.raw.length).toBe(150);
    await c.close(); // idempotent
  });

  it('close() with no exporter returns at once and says what it dropped', async () => {
    const path = tempSocketPath();
    const { logger, lines } = recordingLogger();
    const c = client({ metrics_socket_file: path }, logger);
    c.clientInvocation(invocation())(undefined);
    const t0 = Date.now();
    await c.close();
    expect(Date.now() - t0).toBeLessThan(500);
    expect(lines).toContainEqual([
      'warn',
      `Dropping 3 metrics at close: connect ENOENT ${path}: no such file or directory`,
    ]);
  });

  it('never keeps a Node.js process alive, even with metrics pending and no exporter', async () => {
    const path = tempSocketPath();
    const index = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `
      import { createOsloMetricsCollector } from ${JSON.stringify(index)};
      import { Target } from '@oslo-messaging/core';
      const c = await createOsloMetricsCollector().create({ config: { oslo_messaging_metrics: { metrics_socket_file: ${JSON.stringify(path)} } }, logger: console });
      for (let i = 0; i < 10; i++) c.clientInvocation({ target: new Target({ topic: 't' }), method: 'm', callType: 'cast', timeout: undefined })(undefined);
    `;
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toContain('Failed to send metrics');
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("a collector made with createOsloMetricsCollector resolves [oslo_messaging_metrics] with upstream's defaults", async () => {
    expect(resolveMetricsOptions({})).toEqual({
      metrics_enabled: false,
      metrics_buffer_size: 1000,
      metrics_socket_file: '/var/tmp/metrics_collector.sock',
      metrics_process_name: '',
      metrics_thread_stop_timeout: 10,
    });
    const sent: string[] = [];
    const plugin = createOsloMetricsCollector({
      options: { metricsProcessName: 'from-code' },
      connect: () => ({ send: (b) => (sent.push(b.toString()), 'sent'), onWritable: () => {}, close: () => {} }),
    });
    expect(plugin.name).toBe('oslo.metrics');
    const c = await plugin.create({
      config: { oslo_messaging_metrics: { metrics_process_name: 'from-config' } },
      logger: recordingLogger().logger,
    });
    c.clientInvocation(invocation());
    await c.close();
    expect(JSON.parse(sent[0]!).labels.process).toBe('from-code');
    await expect(
      Promise.resolve().then(() =>
        createOsloMetricsCollector().create({
          config: { oslo_messaging_metrics: { metrics_buffer_size: 'many' } },
          logger: recordingLogger().logger,
        }),
      ),
    ).rejects.toThrow(/metrics_buffer_size/);
  });
});
