// Tests of this example need NATS with JetStream on 127.0.0.1:4222. If nothing listens there, start Debian's
// nats-server (installing the `nats-server` package when it is missing and we are root), the way
// scripts/services.mjs brings up RabbitMQ and Redis. The server is left running for later test files.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';

const PORT = 4222;

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => (s.destroy(), resolve(ok));
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

let ensured: Promise<void> | undefined;

export function ensureNats(): Promise<void> {
  ensured ??= (async () => {
    if (await portOpen(PORT)) return;
    const has = () => spawnSync('bash', ['-c', 'command -v nats-server || test -x /usr/sbin/nats-server']).status === 0;
    if (!has() && process.getuid?.() === 0) {
      spawnSync(
        'bash',
        ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server'],
        { stdio: 'ignore', timeout: 300_000 },
      );
    }
    if (!has())
      throw new Error(
        'NATS is not running on 127.0.0.1:4222 and nats-server is not installed (Debian: apt-get install nats-server)',
      );
    mkdirSync('/tmp/oslo-messaging-nats', { recursive: true });
    const bin = spawnSync('bash', ['-c', 'command -v nats-server || echo /usr/sbin/nats-server'], {
      encoding: 'utf8',
    }).stdout.trim();
    const proc = spawn(bin, ['-a', '127.0.0.1', '-p', String(PORT), '-js', '-sd', '/tmp/oslo-messaging-nats'], {
      detached: true,
      stdio: 'ignore',
    });
    proc.unref();
    for (let i = 0; i < 40; i++) {
      if (await portOpen(PORT)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('nats-server did not start listening on 127.0.0.1:4222');
  })();
  return ensured;
}
