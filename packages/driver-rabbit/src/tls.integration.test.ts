// TLS against the broker's TLS listener (127.0.0.1:5671), set up by scripts/services.mjs with a test
// CA and a server certificate issued for "localhost" only; and client certificates against a listener
// that requires one (verify_peer, fail_if_no_peer_cert = true): the standalone node oslo-tls@localhost
// (TLS on 127.0.0.1:5712) that scripts/rabbit-nodes.mjs starts in beforeAll, failing loudly if it cannot.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  MessageDeliveryFailure,
  silentLogger,
  type Logger,
  type Transport,
} from '@oslo-messaging/core';
// @ts-expect-error -- a plain ESM script without types
import * as nodes from '../../../scripts/rabbit-nodes.mjs';

const rabbitNodes = nodes as {
  startTlsNode(): Promise<{ url: string; tlsDir: string }>;
  setLogger(fn: (m: string) => void): void;
};

const TLS_DIR = process.env['OSLO_TEST_TLS_DIR'] ?? '/var/lib/rabbitmq/oslo-test-tls';
const ca = `${TLS_DIR}/ca.pem`;
const open: Transport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.cleanup()));
});
const uniq = () => `tls_${Math.random().toString(36).slice(2, 10)}`;

async function roundTrip(url: string, driverOptions: Record<string, unknown>): Promise<unknown> {
  const t = await getRpcTransport({
    url,
    logger: silentLogger,
    driverOptions: { rabbit_retry_interval: 0.1, rabbit_retry_backoff: 0, ...driverOptions },
  });
  open.push(t);
  const topic = uniq();
  const server = getRpcServer(t, { topic, server: 's' }, [{ ping: () => 'pong over TLS' }]);
  await server.start();
  try {
    return await getRpcClient(t, { topic }, { timeout: 10 }).call({}, 'ping');
  } finally {
    await server.stop();
    await server.wait();
  }
}

/** A send that must fail to connect: `retry: 0` gives up after one cycle. */
async function refused(url: string, driverOptions: Record<string, unknown>): Promise<unknown> {
  const t = await getRpcTransport({
    url,
    logger: silentLogger,
    driverOptions: { rabbit_retry_interval: 0.1, rabbit_retry_backoff: 0, ...driverOptions },
  });
  open.push(t);
  return getRpcClient(t, { topic: uniq() }, { retry: 0 })
    .cast({}, 'ping')
    .then(
      () => 'sent',
      (e: unknown) => e,
    );
}

describe('RabbitMQ over TLS', () => {
  it('has its test certificates (scripts/services.mjs creates them)', () => {
    expect(existsSync(ca), `${ca} is missing: run node scripts/services.mjs`).toBe(true);
  });

  it('talks TLS with the CA given by ssl_ca_file', async () => {
    expect(await roundTrip('rabbit://guest:guest@localhost:5671/', { ssl: true, ssl_ca_file: ca })).toBe(
      'pong over TLS',
    );
  });

  it('presents a client certificate from ssl_cert_file / ssl_key_file', async () => {
    expect(
      await roundTrip('rabbit://guest:guest@localhost:5671/', {
        ssl_ca_file: ca,
        ssl_cert_file: `${TLS_DIR}/client.pem`,
        ssl_key_file: `${TLS_DIR}/client.key`,
      }),
    ).toBe('pong over TLS');
  });

  it("verifies the broker's name when ssl_enforce_hostname_verification is on", async () => {
    expect(
      await roundTrip('rabbit://guest:guest@localhost:5671/', {
        ssl: true,
        ssl_ca_file: ca,
        ssl_enforce_hostname_verification: true,
      }),
    ).toBe('pong over TLS');
    expect(
      await refused('rabbit://guest:guest@127.0.0.1:5671/', {
        ssl: true,
        ssl_ca_file: ca,
        ssl_enforce_hostname_verification: true,
      }),
    ).toBeInstanceOf(MessageDeliveryFailure);
    // Upstream 18.1's default is on: the certificate (for localhost) does not name 127.0.0.1.
    expect(await refused('rabbit://guest:guest@127.0.0.1:5671/', { ssl: true, ssl_ca_file: ca })).toBeInstanceOf(
      MessageDeliveryFailure,
    );
    // Off, the chain is still verified but not the name; and without ssl_ca_file the name is never checked (upstream's rule).
    expect(
      await roundTrip('rabbit://guest:guest@127.0.0.1:5671/', {
        ssl: true,
        ssl_ca_file: ca,
        ssl_enforce_hostname_verification: false,
      }),
    ).toBe('pong over TLS');
  });

  it('refuses a broker whose certificate no trusted CA signed', async () => {
    expect(await refused('rabbit://guest:guest@127.0.0.1:5671/', { ssl: true })).toBeInstanceOf(MessageDeliveryFailure);
  });
});

/** A logger that keeps what the driver says. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const rec = (message: string) => void lines.push(message);
  return { lines, debug: rec, info: rec, warn: rec, error: rec };
}

describe('RabbitMQ TLS listener that requires a client certificate', () => {
  // The certificate names localhost: dial localhost (127.0.0.1) so the broker's name checks out.
  const URL = 'rabbit://guest:guest@localhost:5712/';
  let rogue = '';

  beforeAll(async () => {
    rabbitNodes.setLogger(() => undefined);
    await rabbitNodes.startTlsNode(); // throws (failing every test below) if the node cannot start
    // A client certificate the broker must refuse: self-signed, not from the test CA.
    rogue = mkdtempSync(join(tmpdir(), 'oslo-rogue-'));
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=oslo-client',
      '-keyout',
      `${rogue}/client.key`,
      '-out',
      `${rogue}/client.pem`,
    ]);
  }, 180_000);

  /** A cast with `retry: 0` from a client with these TLS options: what it rejects with, and what the driver logged. */
  async function castWith(
    driverOptions: Record<string, unknown>,
    logger: Logger & { lines: string[] } = recordingLogger(),
  ): Promise<{ err: unknown; log: string }> {
    const t = await getRpcTransport({
      url: URL,
      logger,
      driverOptions: { rabbit_retry_interval: 0.1, rabbit_retry_backoff: 0, ...driverOptions },
    });
    open.push(t);
    const err = await getRpcClient(t, { topic: uniq() }, { retry: 0 })
      .cast({}, 'ping')
      .then(
        () => 'sent',
        (e: unknown) => e,
      );
    return { err, log: logger.lines.join('\n') };
  }
  const noCertificate = () => castWith({ ssl: true, ssl_ca_file: ca });

  it('refuses a client without a certificate: the cast rejects with MessageDeliveryFailure, the driver logs the TLS alert', async () => {
    const { err, log } = await noCertificate();
    expect(err).toBeInstanceOf(MessageDeliveryFailure);
    expect(log).toMatch(/certificate required/i);
  });

  it('names the TLS failure in the MessageDeliveryFailure it rejects with', async () => {
    const err = (await noCertificate()).err as Error & { cause?: Error };
    expect(err).toBeInstanceOf(MessageDeliveryFailure);
    // What a user sees first must say why: the broker wants a client certificate.
    expect(`${err.message} / cause: ${err.cause?.message ?? '(none)'}`).toMatch(/certificate required/i);
  });

  it('refuses a client certificate no trusted CA signed', async () => {
    const { err, log } = await castWith({
      ssl_ca_file: ca,
      ssl_cert_file: `${rogue}/client.pem`,
      ssl_key_file: `${rogue}/client.key`,
    });
    expect(err).toBeInstanceOf(MessageDeliveryFailure);
    expect(log).toMatch(/unknown ca|certificate/i);
  });

  it("lets a client with the test CA's certificate in: a call round-trips", async () => {
    expect(
      await roundTrip(URL, {
        ssl_ca_file: ca,
        ssl_cert_file: `${TLS_DIR}/client.pem`,
        ssl_key_file: `${TLS_DIR}/client.key`,
      }),
    ).toBe('pong over TLS');
  });
});
