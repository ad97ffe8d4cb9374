// The driver's side of core's deadline contract, at the SPI: `SendOptions.deadline` bounds a send and
// `signal` (aborted when the caller gives up or the transport is cleaned up) stops it at once — while
// waiting for a connection, for link credit, or for a reply — and the reply waiter is forgotten.
// Drives the driver directly (core's client may settle first and hide it). In-process: an unhandled
// rejection fails the run through vitest's own handler.
import {
  getNotificationTransport,
  getRpcTransport,
  MessagingTimeout,
  silentLogger,
  Target,
  type Transport,
} from '@oslo-messaging/core';
import { type Driver, type SendOptions } from '@oslo-messaging/core/spi';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startTestBroker, type TestBroker } from './__fixtures__/test-broker.js';

let broker: TestBroker;
beforeAll(async () => void (broker = await startTestBroker()));
afterAll(async () => broker.stop());
const open: Transport[] = [];
afterEach(async () => void (await Promise.all(open.splice(0).map((t) => t.cleanup()))));

const driverOptions = { connection_retry_interval: 1, connection_retry_interval_max: 1, default_send_timeout: 30 };
const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;
const request = { method: 'ping', args: {} };

async function driverAt(url: string, purpose: 'rpc' | 'notification' = 'rpc'): Promise<Driver> {
  const t =
    purpose === 'rpc'
      ? await getRpcTransport({ url, logger: silentLogger, driverOptions })
      : await getNotificationTransport({ url, logger: silentLogger, driverOptions });
  open.push(t);
  return t.driver;
}

/** Aborts after `ms` with a reason of our own; resolves with how long after the abort `p` settled and how. */
async function abortAfter(ms: number, send: (signal: AbortSignal) => Promise<unknown>) {
  const controller = new AbortController();
  const reason = new MessagingTimeout('the caller gave up');
  const p = send(controller.signal).then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  await new Promise((r) => setTimeout(r, ms));
  const abortedAt = Date.now();
  controller.abort(reason);
  const outcome = await Promise.race([p, new Promise<'pending'>((r) => setTimeout(() => r('pending'), 2000))]);
  return { outcome, lagMs: Date.now() - abortedAt, reason };
}

describe('amqp1 driver: SendOptions.signal and deadline', () => {
  it('a call waiting for a connection that never comes stops when its signal aborts', async () => {
    const driver = await driverAt(`amqp://127.0.0.1:${await freePort()}/`);
    const { outcome, lagMs, reason } = await abortAfter(300, (signal) =>
      driver.send(new Target({ topic: 't' }), {}, request, {
        waitForReply: true,
        timeout: 30,
        deadline: Date.now() + 30_000,
        signal,
      }),
    );
    expect(outcome).toEqual({ ok: false, error: reason });
    expect(lagMs).toBeLessThan(200);
  });

  it('a cast retried forever (retry unset, broker down) stops when its signal aborts', async () => {
    const driver = await driverAt(`amqp://127.0.0.1:${await freePort()}/`);
    const { outcome, lagMs, reason } = await abortAfter(1500, (signal) =>
      driver.send(new Target({ topic: 't' }), {}, request, { waitForReply: false, signal }),
    );
    expect(outcome).toEqual({ ok: false, error: reason });
    expect(lagMs).toBeLessThan(200);
  });

  it('a notification retried forever stops when its signal aborts (6th parameter)', async () => {
    const driver = await driverAt(`amqp://127.0.0.1:${await freePort()}/`, 'notification');
    const message = {
      message_id: 'm',
      publisher_id: 'p',
      event_type: 'e',
      priority: 'INFO',
      payload: {},
      timestamp: '2026-01-01 00:00:00.000000',
    };
    const { outcome, lagMs, reason } = await abortAfter(1500, (signal) =>
      driver.sendNotification(new Target({ topic: 'n' }), {}, message, { version: 2, retry: null, signal }),
    );
    expect(outcome).toEqual({ ok: false, error: reason });
    expect(lagMs).toBeLessThan(200);
  });

  it('a cast waiting for link credit stops when its signal aborts; a call waiting for its reply too (its waiter rejected with the reason)', async () => {
    const driver = await driverAt(`amqp://127.0.0.1:${broker.port}/`);
    const starved = await abortAfter(300, (signal) =>
      driver.send(new Target({ topic: uniq('nocredit') }), {}, request, { waitForReply: false, signal }),
    );
    expect(starved.outcome).toEqual({ ok: false, error: starved.reason });
    expect(starved.lagMs).toBeLessThan(200);
    // Nobody serves this topic: the call waits for a reply until aborted.
    const unanswered = await abortAfter(300, (signal) =>
      driver.send(new Target({ topic: uniq('nobody') }), {}, request, {
        waitForReply: true,
        timeout: 30,
        deadline: Date.now() + 30_000,
        signal,
      }),
    );
    expect(unanswered.outcome).toEqual({ ok: false, error: unanswered.reason });
    expect(unanswered.lagMs).toBeLessThan(200);
  });

  it('a deadline given without a timeout bounds a cast: MessagingTimeout by then', async () => {
    const driver = await driverAt(`amqp://127.0.0.1:${await freePort()}/`);
    const began = Date.now();
    const options: SendOptions = { waitForReply: false, deadline: began + 700 };
    await expect(driver.send(new Target({ topic: 't' }), {}, request, options)).rejects.toBeInstanceOf(
      MessagingTimeout,
    );
    expect(Date.now() - began).toBeLessThan(1200);
  });
});
