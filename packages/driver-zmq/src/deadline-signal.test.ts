// Core's deadline contract (SendOptions.deadline / signal, sendNotification's signal) as the driver
// honours it: once the caller gives up, the driver stops looking for a server, stops re-sending,
// drops a message still queued behind a connection that is not up, and rejects its own promise at
// once (handled by core). In one process with the dummy matchmaker; vitest fails the run on any
// unhandled rejection. Also the round robin over servers of one process.
import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Router } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import {
  getNotificationListener,
  getRpcServer,
  getRpcTransport,
  MessageDeliveryFailure,
  MessagingTimeout,
  silentLogger,
  Target,
  type MessageHandlingServer,
  type Transport,
} from '@oslo-messaging/core';
import { DummyMatchmaker } from './dummy-matchmaker.js';

const URL_ = 'zmq://?rpc_zmq_bind_address=127.0.0.1&wait_timeout=50&rpc_ack_timeout_base=1';
const uniq = (p: string) => `${p}_${randomUUID().slice(0, 8)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const open: Array<Transport | MessageHandlingServer | Router> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) {
    if (o instanceof Router) o.close();
    else if ('cleanup' in o) await o.cleanup();
    else {
      await o.stop();
      await o.wait();
    }
  }
});

async function transport(url = URL_): Promise<Transport> {
  const t = await getRpcTransport({ url, logger: silentLogger });
  open.push(t);
  return t;
}

async function serve(t: Transport, topic: string, name: string, seen: string[]): Promise<MessageHandlingServer> {
  const s = getRpcServer(t, { topic, server: name }, [
    { ping: (_c: unknown, { tag }: { tag?: string }) => (seen.push(tag ?? name), name) },
  ]);
  await s.start();
  open.push(s);
  return s;
}

/** Resolves with how the promise settled and how long after `since` it did. */
async function outcome(p: Promise<unknown>, since: () => number): Promise<{ error: unknown; afterMs: number }> {
  try {
    await p;
    return { error: undefined, afterMs: Date.now() - since() };
  } catch (error) {
    return { error, afterMs: Date.now() - since() };
  }
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const request = (tag: string) => ({ method: 'ping', args: { tag } });
const REASON = new MessagingTimeout('the caller gave up');

describe('zmq: the caller giving up (SendOptions.signal / deadline)', () => {
  it('a call waiting for a server stops at the abort: it rejects at once and a server that appears later never gets it', async () => {
    const topic = uniq('abort_call');
    const t = await transport();
    const ac = new AbortController();
    let abortedAt = 0;
    const sent = outcome(
      t.driver.send(new Target({ topic }), {}, request('late'), { waitForReply: true, timeout: 30, signal: ac.signal }),
      () => abortedAt,
    );
    await sleep(200);
    abortedAt = Date.now();
    ac.abort(REASON);
    const { error, afterMs } = await sent;
    expect(error).toBe(REASON);
    expect(afterMs).toBeLessThan(100);
    const seen: string[] = [];
    await serve(await transport(), topic, 's', seen);
    await sleep(500); // ten wait_timeout rounds: a loop still looking would have found the server
    expect(seen).toEqual([]);
  });

  it('a cast waiting for a server (check_timeout 20 s) stops at the abort, and one with a deadline fails by it', async () => {
    const topic = uniq('abort_cast');
    const t = await transport();
    const ac = new AbortController();
    let abortedAt = 0;
    const sent = outcome(
      t.driver.send(new Target({ topic }), {}, request('late'), { waitForReply: false, signal: ac.signal }),
      () => abortedAt,
    );
    await sleep(200);
    abortedAt = Date.now();
    ac.abort(REASON);
    expect(await sent).toMatchObject({ error: REASON, afterMs: expect.any(Number) });
    expect((await sent).afterMs).toBeLessThan(100);

    const start = Date.now();
    const timed = await outcome(
      t.driver.send(new Target({ topic }), {}, request('late2'), { waitForReply: false, deadline: start + 300 }),
      () => start,
    );
    expect(timed.error).toBeInstanceOf(MessagingTimeout);
    expect(timed.afterMs).toBeGreaterThanOrEqual(290);
    expect(timed.afterMs).toBeLessThan(450);

    // With no deadline, a cast nobody takes within check_timeout is a delivery failure.
    const quick = await transport(`${URL_}&check_timeout=200`);
    const unclaimed = await outcome(
      quick.driver.send(new Target({ topic }), {}, request('late3'), { waitForReply: false }),
      () => 0,
    );
    expect(unclaimed.error).toBeInstanceOf(MessageDeliveryFailure);

    const seen: string[] = [];
    await serve(await transport(), topic, 's', seen);
    await sleep(500);
    expect(seen).toEqual([]);
  });

  it('a call with a deadline before its timeout fails with MessagingTimeout at the deadline', async () => {
    const t = await transport();
    const start = Date.now();
    const { error, afterMs } = await outcome(
      t.driver.send(new Target({ topic: uniq('deadline') }), {}, request('x'), {
        waitForReply: true,
        timeout: 30,
        deadline: start + 300,
      }),
      () => start,
    );
    expect(error).toBeInstanceOf(MessagingTimeout);
    expect((error as Error).message).toContain('No live server');
    expect(afterMs).toBeGreaterThanOrEqual(290);
    expect(afterMs).toBeLessThan(450);
  });

  it('a notification waiting for a listener stops at the abort and is never delivered later', async () => {
    const topic = uniq('abort_notify');
    const t = await transport();
    const ac = new AbortController();
    let abortedAt = 0;
    const message = {
      message_id: randomUUID(),
      publisher_id: 'p',
      event_type: 'e',
      priority: 'INFO',
      payload: {},
      timestamp: '2026-01-01 00:00:00.000000',
    };
    const sent = outcome(
      t.driver.sendNotification(new Target({ topic: `${topic}.info` }), {}, message, { version: 2, signal: ac.signal }),
      () => abortedAt,
    );
    await sleep(200);
    abortedAt = Date.now();
    ac.abort(REASON);
    const { error, afterMs } = await sent;
    expect(error).toBe(REASON);
    expect(afterMs).toBeLessThan(100);
    const got: unknown[] = [];
    const listener = getNotificationListener(
      await transport(),
      [{ topic }],
      [{ info: (...a: unknown[]) => void got.push(a) }],
    );
    await listener.start();
    open.push(listener);
    await sleep(500);
    expect(got).toEqual([]);
  });

  it('a call queued behind a connection that is not up is dropped at the abort, not sent when the connection comes', async () => {
    const topic = uniq('queued');
    const port = await freePort();
    // A registered server whose process is not listening yet (restarting, say).
    await new DummyMatchmaker().register(new Target({ topic }), `127.0.0.1:${port}`, 'ROUTER', 60);
    const t = await transport(`${URL_}&zmq_connect_timeout=5`);
    const ac = new AbortController();
    const sent = outcome(
      t.driver.send(new Target({ topic }), {}, request('dropped'), {
        waitForReply: true,
        timeout: 30,
        signal: ac.signal,
      }),
      () => 0,
    );
    await sleep(200);
    ac.abort(REASON);
    expect((await sent).error).toBe(REASON);
    const router = new Router();
    open.push(router);
    await router.bind(`tcp://127.0.0.1:${port}`);
    const received: unknown[] = [];
    void (async () => {
      for await (const frames of router) received.push(frames.map(String));
    })().catch(() => undefined);
    await sleep(1000); // the client's DEALER reconnects within its 100 ms interval
    expect(received).toEqual([]);
  });
});

describe('zmq: round robin over the servers of a topic', () => {
  it('calls alternate between two server processes (here, two transports) even before either is connected', async () => {
    const topic = uniq('rr');
    const seen: string[] = [];
    await serve(await transport(), topic, 'a', seen);
    await serve(await transport(), topic, 'b', seen);
    const t = await transport();
    const results: unknown[] = [];
    for (let i = 0; i < 20; i++)
      results.push(
        await t.driver.send(
          new Target({ topic }),
          {},
          { method: 'ping', args: {} },
          { waitForReply: true, timeout: 5 },
        ),
      );
    expect(results.filter((r) => r === 'a')).toHaveLength(10);
    expect(results.filter((r) => r === 'b')).toHaveLength(10);
  });
});
