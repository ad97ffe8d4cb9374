// Starts test-fixtures/amqp1-broker/broker.py (a qpidd-like AMQP 1.0 broker on Debian's Proton) on a free
// port, for the integration tests. Not part of the published package (test-only module).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const BROKER_SCRIPT = fileURLToPath(
  new URL('../../../../test-fixtures/amqp1-broker/broker.py', import.meta.url),
);

export interface TestBroker {
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts the broker (on `port`, or a free one) and resolves once it listens. Fails loudly without Proton. */
export async function startTestBroker(port?: number): Promise<TestBroker> {
  const p = port ?? (await freePort());
  const child = spawn('/usr/bin/python3', [BROKER_SCRIPT, `127.0.0.1:${p}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the AMQP 1.0 test broker did not start: ${output}`)), 15_000);
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on(
      'exit',
      (code) => (clearTimeout(timer), reject(new Error(`the AMQP 1.0 test broker exited (${code}): ${output}`))),
    );
  });
  return {
    port: p,
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Debian's Proton example broker (package libqpid-proton11-dev-examples): queues only, no test hooks. */
export const PROTON_EXAMPLE_BROKER = '/usr/share/proton/examples/python/broker.py';

/** Resolves once something accepts TCP connections on `port`, or rejects after `withinMs`. */
async function waitForPort(port: number, withinMs: number, child: ChildProcess, output: () => string): Promise<void> {
  const { connect } = await import('node:net');
  const until = Date.now() + withinMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the broker exited (${child.exitCode ?? child.signalCode}): ${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => (s.destroy(), resolve(false)));
    });
    if (open) return;
    if (Date.now() > until) throw new Error(`the broker did not listen on ${port} within ${withinMs} ms: ${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts Debian's Proton example broker on `port` (or a free one). Fails loudly when the package is missing. */
export async function startExampleBroker(port?: number): Promise<TestBroker> {
  const { existsSync } = await import('node:fs');
  if (!existsSync(PROTON_EXAMPLE_BROKER))
    throw new Error(
      `${PROTON_EXAMPLE_BROKER} is missing: apt-get install libqpid-proton11-dev-examples (scripts/services.mjs does)`,
    );
  const p = port ?? (await freePort());
  const child = spawn('/usr/bin/python3', [PROTON_EXAMPLE_BROKER, '-a', `127.0.0.1:${p}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  try {
    await waitForPort(p, 15_000, child, () => output);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    port: p,
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
