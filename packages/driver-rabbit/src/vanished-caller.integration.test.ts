// A caller that went away: the server's reply is returned by the broker (mandatory flag), retried
// every 0.25 s for kombu_missing_consumer_retry_timeout, then dropped, and the reply queue is
// remembered as obsolete so later replies to it are dropped at once.
import * as amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { getRpcServer, getRpcTransport, type Logger } from '@oslo-messaging/core';

const RABBIT_URL = process.env['OSLO_TEST_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';

function recordingLogger(): Logger & { lines: Array<{ at: number; level: string; message: string }> } {
  const lines: Array<{ at: number; level: string; message: string }> = [];
  const rec = (level: string) => (message: string) => void lines.push({ at: Date.now(), level, message });
  return { lines, debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
}

describe('replies to a caller that is gone', () => {
  it('are retried for the configured window, then dropped; the queue is then known obsolete', async () => {
    const logger = recordingLogger();
    const t = await getRpcTransport({
      url: RABBIT_URL,
      logger,
      driverOptions: { kombu_missing_consumer_retry_timeout: 1 },
    });
    const topic = `vanished_${Math.random().toString(36).slice(2, 10)}`;
    let handled = 0;
    const server = getRpcServer(t, { topic, server: 's' }, [{ echo: () => ++handled }]);
    await server.start();
    const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672/');
    const ch = await conn.createChannel();
    const request = (id: string) =>
      Buffer.from(
        JSON.stringify({
          'oslo.version': '2.0',
          'oslo.message': JSON.stringify({
            method: 'echo',
            args: {},
            _msg_id: id,
            _reply_q: `reply_gone_${topic}`,
            _timeout: null,
            _unique_id: id,
          }),
        }),
      );
    const sentAt = Date.now();
    ch.publish('openstack', topic, request('a'.repeat(32)));
    const deadline = Date.now() + 10_000;
    const given = () => logger.lines.find((l) => l.message.includes('could not be delivered'));
    while (!given() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(handled).toBe(1);
    expect(given(), 'the server gave up on the reply').toBeDefined();
    const waited = given()!.at - sentAt;
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(5000);
    // A second reply to the same queue is dropped at once, without another retry window.
    const second = Date.now();
    ch.publish('openstack', topic, request('b'.repeat(32)));
    while (!logger.lines.some((l) => l.message.includes('is gone: dropping the reply')) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(handled).toBe(2);
    expect(logger.lines.find((l) => l.message.includes('is gone: dropping the reply'))!.at - second).toBeLessThan(800);
    await conn.close();
    await server.stop();
    await server.wait();
    await t.cleanup();
  }, 30_000);
});
