// LinkManager against the Proton test broker: what the driver-level suites cannot see from outside.
import { silentLogger, TransportURL } from '@oslo-messaging/core';
import { resolveOptions } from '@oslo-messaging/core/spi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from './__fixtures__/test-broker.js';
import { LinkManager } from './link-manager.js';
import { AMQP1_OPTIONS } from './options.js';

let broker: TestBroker;
beforeAll(async () => void (broker = await startTestBroker()));
afterAll(async () => broker.stop());


describe('LinkManager', () => {
  it('ends the session of every link it closes: idle senders purged, receivers closed', async () => {
    const opts = resolveOptions('oslo_messaging_amqp', AMQP1_OPTIONS, { code: { default_sender_link_timeout: 1 } });
    const links = new LinkManager(TransportURL.parse(`amqp://127.0.0.1:${broker.port}/`), opts, silentLogger);
    try {
      await links.opened();
      // A server replying to many callers opens a sender per reply address; each is purged once idle.
      for (let i = 0; i < 20; i++) expect(await links.send(`reply.${i}`, { body: 'x' }, false, Date.now() + 5000)).toBe('accepted');
      const receiver = links.receive({ address: 'some.queue' }, 10, () => undefined);
      await receiver.attached;
      expect(links.openSessions).toBe(21);
      receiver.close();
      await expect.poll(() => links.openSessions, { timeout: 5_000 }).toBe(0);
    } finally {
      await links.close();
    }
  }, 20_000);
});
