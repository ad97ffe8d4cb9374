// LinkManager against the Proton test broker: what the driver-level suites cannot see from outside.
import { silentLogger, TransportURL } from '@oslo-messaging/core';
import { resolveOptions } from '@oslo-messaging/core/spi';
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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
      for (let i = 0; i < 20; i++)
        expect(await links.send(`reply.${i}`, { body: 'x' }, false, Date.now() + 5000)).toBe('accepted');
      const receiver = links.receive({ address: 'some.queue' }, 10, () => undefined);
      await receiver.attached;
      expect(links.openSessions).toBe(21);
      receiver.close();
      await expect.poll(() => links.openSessions, { timeout: 5_000 }).toBe(0);
    } finally {
      await links.close();
    }
  }, 20_000);

  it('writes the frames of one event-loop turn with one socket write, also under fake timers', async () => {
    const opts = resolveOptions('oslo_messaging_amqp', AMQP1_OPTIONS, {});
    const links = new LinkManager(TransportURL.parse(`amqp://127.0.0.1:${broker.port}/`), opts, silentLogger);
    const received: unknown[] = [];
    const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
    const { _write: originalWrite, _writev: originalWritev } = proto;
    let writes = 0;
    proto._write = function (this: Socket, ...a: unknown[]) {
      writes++;
      return originalWrite.apply(this, a);
    };
    proto._writev = function (this: Socket, ...a: unknown[]) {
      writes++;
      return originalWritev.apply(this, a);
    };
    const realSetImmediate = setImmediate;
    const realSetTimeout = setTimeout;
    try {
      await links.opened();
      const receiver = links.receive({ address: 'coalesce.queue' }, 100, (m, d) => (received.push(m.body), d.accept()));
      await receiver.attached;
      // The sender link attached and credited first, then 20 pre-settled messages sent in one turn.
      expect(await links.send('coalesce.queue', { body: 'warm' }, true, Date.now() + 5000)).toBe('accepted');
      await expect.poll(() => received.length).toBe(1);
      vi.useFakeTimers();
      try {
        writes = 0;
        for (let i = 0; i < 20; i++)
          expect(await links.send('coalesce.queue', { body: `m${i}` }, true, Date.now() + 5000)).toBe('accepted');
        // rhea writes the transfers on the next tick, into the corked socket; the flush comes at the end of the turn.
        await new Promise((r) => process.nextTick(r));
        expect(writes).toBe(0);
        await new Promise((r) => realSetImmediate(r));
        expect(writes).toBe(1);
        // Flushed on the real setImmediate: they arrive without the fake clock moving.
        for (let i = 0; i < 500 && received.length < 21; i++) await new Promise((r) => realSetTimeout(r, 10));
        expect(received).toEqual(['warm', ...Array.from({ length: 20 }, (_, i) => `m${i}`)]);
      } finally {
        vi.useRealTimers();
      }
      receiver.close();
    } finally {
      proto._write = originalWrite;
      proto._writev = originalWritev;
      await links.close();
    }
  }, 20_000);
});
