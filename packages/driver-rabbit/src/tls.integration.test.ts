// TLS against the broker's TLS listener (127.0.0.1:5671), set up by scripts/services.mjs with a test
// CA and a server certificate issued for "localhost" only.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { getRpcClient, getRpcServer, getRpcTransport, MessageDeliveryFailure, silentLogger, type Transport } from '@oslo-messaging/core';

const TLS_DIR = process.env['OSLO_TEST_TLS_DIR'] ?? '/var/lib/rabbitmq/oslo-test-tls';
const ca = `${TLS_DIR}/ca.pem`;
const open: Transport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.cleanup()));
});
const uniq = () => `tls_${Math.random().toString(36).slice(2, 10)}`;

async function roundTrip(url: string, driverOptions: Record<string, unknown>): Promise<unknown> {
  const t = await getRpcTransport({ url, logger: silentLogger, driverOptions: { rabbit_retry_interval: 0.1, rabbit_retry_backoff: 0, ...driverOptions } });
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
  const t = await getRpcTransport({ url, logger: silentLogger, driverOptions: { rabbit_retry_interval: 0.1, rabbit_retry_backoff: 0, ...driverOptions } });
  open.push(t);
  return getRpcClient(t, { topic: uniq() }, { retry: 0 }).cast({}, 'ping').then(() => 'sent', (e: unknown) => e);
}

describe('RabbitMQ over TLS', () => {
  it('has its test certificates (scripts/services.mjs creates them)', () => {
    expect(existsSync(ca), `${ca} is missing: run node scripts/services.mjs`).toBe(true);
  });

  it('talks TLS with the CA given by ssl_ca_file', async () => {
    expect(await roundTrip('rabbit://guest:guest@localhost:5671/', { ssl: true, ssl_ca_file: ca })).toBe('pong over TLS');
  });

  it('presents a client certificate from ssl_cert_file / ssl_key_file', async () => {
    expect(await roundTrip('rabbit://guest:guest@localhost:5671/', { ssl_ca_file: ca, ssl_cert_file: `${TLS_DIR}/client.pem`, ssl_key_file: `${TLS_DIR}/client.key` })).toBe('pong over TLS');
  });

  it("verifies the broker's name when ssl_enforce_hostname_verification is on", async () => {
    expect(await roundTrip('rabbit://guest:guest@localhost:5671/', { ssl: true, ssl_ca_file: ca, ssl_enforce_hostname_verification: true })).toBe('pong over TLS');
    expect(await refused('rabbit://guest:guest@127.0.0.1:5671/', { ssl: true, ssl_ca_file: ca, ssl_enforce_hostname_verification: true })).toBeInstanceOf(MessageDeliveryFailure);
    // Upstream 18.1's default is on: the certificate (for localhost) does not name 127.0.0.1.
    expect(await refused('rabbit://guest:guest@127.0.0.1:5671/', { ssl: true, ssl_ca_file: ca })).toBeInstanceOf(MessageDeliveryFailure);
    // Off, the chain is still verified but not the name; and without ssl_ca_file the name is never checked (upstream's rule).
    expect(await roundTrip('rabbit://guest:guest@127.0.0.1:5671/', { ssl: true, ssl_ca_file: ca, ssl_enforce_hostname_verification: false })).toBe('pong over TLS');
  });

  it('refuses a broker whose certificate no trusted CA signed', async () => {
    expect(await refused('rabbit://guest:guest@127.0.0.1:5671/', { ssl: true })).toBeInstanceOf(MessageDeliveryFailure);
  });
});
