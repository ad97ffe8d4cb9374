// TLS against RabbitMQ's TLS listener (127.0.0.1:5671, AMQP 1.0 through the plugin), set up by
// scripts/services.mjs with a test CA and a server certificate issued for "localhost" only.
import { afterEach, describe, expect, it } from 'vitest';
import {
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  MessageDeliveryFailure,
  silentLogger,
  type Transport,
} from '@oslo-messaging/core';

const TLS_DIR = process.env['OSLO_TEST_TLS_DIR'] ?? '/var/lib/rabbitmq/oslo-test-tls';
const open: Transport[] = [];
afterEach(async () => void (await Promise.all(open.splice(0).map((t) => t.cleanup()))));

async function transport(url: string, driverOptions: Record<string, unknown>) {
  const t = await getRpcTransport({
    url,
    logger: silentLogger,
    driverOptions: { default_send_timeout: 5, ...driverOptions },
  });
  open.push(t);
  return t;
}

describe('amqp1 over TLS', () => {
  it('verifies the broker against the CA (and its name) and carries calls', async () => {
    const t = await transport('amqp://guest:guest@localhost:5671/', {
      ssl_ca_file: `${TLS_DIR}/ca.pem`,
      ssl_cert_file: `${TLS_DIR}/client.pem`,
      ssl_key_file: `${TLS_DIR}/client.key`,
    });
    const topic = `tls_${Math.random().toString(36).slice(2, 10)}`;
    const server = getRpcServer(t, { topic, server: 's' }, [{ ping: () => 'pong over TLS' }]);
    await server.start();
    try {
      expect(await getRpcClient(t, { topic }, { timeout: 10 }).call({}, 'ping')).toBe('pong over TLS');
    } finally {
      await server.stop();
      await server.wait();
    }
  }, 30_000);

  it('refuses a broker whose certificate does not match the host name (casts fail, never hang)', async () => {
    const t = await transport('amqp://guest:guest@127.0.0.1:5671/', { ssl_ca_file: `${TLS_DIR}/ca.pem` });
    // With a retry limit: unset, a cast is retried until cleanup (oslo's retry), each refused handshake being one attempt.
    await expect(getRpcClient(t, { topic: 'tls_refused' }, { retry: 2 }).cast({}, 'ping')).rejects.toBeInstanceOf(
      MessageDeliveryFailure,
    );
  }, 30_000);
});
