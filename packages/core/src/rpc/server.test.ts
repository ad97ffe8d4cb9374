import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExpectedException, InvalidTarget, MessageUndeliverable, NoSuchMethod, ServerListenError } from '../errors.js';
import type { Logger } from '../logger.js';
import { PluginRegistry } from '../plugins/registry.js';
import { defineDriver, defineExecutor } from '../spi/define.js';
import type { IncomingMessage, Listener, Reply } from '../spi/driver.js';
import { ENTRY_POINT_GROUPS } from '../spi/entry-point.js';
import type { Target } from '../target.js';
import { LISTENER_SHUTDOWN_LIMIT_MS } from '../server/message-handling-server.js';
import { getRpcTransport, type Transport } from '../transport.js';
import { expectedExceptions } from './expected-exceptions.js';
import { getRpcServer } from './server.js';

/** Everything the in-test driver and executor saw, in order. */
let events: string[];
let logs: Array<[string, string]>;
let deliver: ((m: IncomingMessage) => void | Promise<void>) | undefined;
let listenError: Error | undefined;
/** When set, listen() waits for it (a broker that is down). */
let listenGate: Promise<void> | undefined;
/** When set, Listener.start() waits for it; the listener's stop() releases it (a driver that stops waiting). */
let startGate: { promise: Promise<void>; release: () => void } | undefined;
/** When set, the listener's stop() and cleanup() reject with it (a channel that died in an outage). */
let listenerFailure: Error | undefined;
let pending: Set<Promise<void>>;
let transport: Transport;

const logger: Logger = {
  debug: (m) => logs.push(['debug', m]),
  info: (m) => logs.push(['info', m]),
  warn: (m) => logs.push(['warn', m]),
  error: (m) => logs.push(['error', m]),
};

const inlineExecutor = defineExecutor({
  name: 'inline',
  create: () => ({
    async submit(task) {
      const p = task().finally(() => pending.delete(p));
      pending.add(p);
    },
    async shutdown() {
      events.push('executor.shutdown');
      await Promise.all([...pending]);
    },
  }),
});

const driver = defineDriver({
  name: 'mem',
  create: () => ({
    send: async () => undefined,
    sendNotification: async () => {},
    async listen(target: Target): Promise<Listener> {
      if (listenError) throw listenError;
      if (listenGate) await listenGate;
      events.push(`listen ${target.topic}.${target.server}`);
      return {
        async start(onMessage) {
          if (startGate) await startGate.promise;
          deliver = onMessage;
        },
        async stop() {
          events.push('listener.stop');
          startGate?.release();
          deliver = undefined;
          if (listenerFailure) throw listenerFailure;
        },
        async cleanup() {
          events.push('listener.cleanup');
          if (listenerFailure) throw listenerFailure;
        },
      };
    },
    listenForNotifications: async () => {
      throw new Error('not used');
    },
    cleanup: async () => {},
  }),
});

/** A message as a driver would hand it, recording what the server does with it. */
function message(
  body: Record<string, unknown>,
  options: { clientTimeout?: number; replyError?: Error; replyConfirmed?: Promise<void> } = {},
) {
  const replies: Reply[] = [];
  let heartbeats = 0;
  const incoming: IncomingMessage = {
    ctxt: { user: 'u' },
    message: body,
    clientTimeout: options.clientTimeout ?? null,
    async reply(r) {
      events.push('reply');
      replies.push(r);
      if (options.replyConfirmed) {
        await options.replyConfirmed;
        events.push('reply confirmed');
      }
      if (options.replyError) throw options.replyError;
    },
    async heartbeat() {
      heartbeats++;
    },
    async acknowledge() {
      events.push('ack');
    },
    async requeue() {
      events.push('requeue');
    },
  };
  return { incoming, replies, heartbeats: () => heartbeats };
}

async function transportWith(options: { rpcPingEnabled?: boolean } = {}): Promise<Transport> {
  const plugins = new PluginRegistry();
  plugins.register(ENTRY_POINT_GROUPS.drivers, 'mem', driver);
  plugins.register(ENTRY_POINT_GROUPS.executors, 'pool', inlineExecutor);
  return getRpcTransport({ url: 'mem://', plugins, logger, ...options });
}

async function handle(m: ReturnType<typeof message>) {
  await deliver!(m.incoming);
  await Promise.all([...pending]);
  return m;
}

beforeEach(async () => {
  events = [];
  logs = [];
  deliver = undefined;
  listenError = undefined;
  listenGate = undefined;
  startGate = undefined;
  listenerFailure = undefined;
  pending = new Set();
  transport = await transportWith();
});

afterEach(async () => {
  vi.useRealTimers();
  await transport.cleanup();
});

describe('RPCServer', () => {
  it('needs a target with topic and server', () => {
    expect(() => getRpcServer(transport, { topic: 't' }, [])).toThrow(InvalidTarget);
    expect(() => getRpcServer(transport, { server: 's' }, [])).toThrow(InvalidTarget);
  });

  it('acknowledges, dispatches and replies with the result', async () => {
    const server = getRpcServer(transport, { topic: 't', server: 's' }, [
      { add: (_c: unknown, a: { x: number; y: number }) => (events.push('endpoint'), a.x + a.y) },
    ]);
    await server.start();
    expect(server.running).toBe(true);
    const m = await handle(message({ method: 'add', args: { x: 1, y: 2 } }));
    expect(m.replies).toEqual([{ result: 3 }]);
    expect(events).toEqual(['listen t.s', 'ack', 'endpoint', 'reply']);
    await server.stop();
    await server.wait();
  });

  it('replies with the error, logging it, and at debug level for *_ignore_errors methods', async () => {
    const server = getRpcServer(transport, { topic: 't', server: 's' }, [
      {
        boom: () => {
          throw new RangeError('bad');
        },
      },
    ]);
    await server.start();
    const m = await handle(message({ method: 'boom' }));
    expect((m.replies[0]!.failure as Error).message).toBe('bad');
    expect(logs).toContainEqual(['error', 'Exception during message handling']);
    const n = await handle(message({ method: 'nope' }));
    expect(n.replies[0]!.failure).toBeInstanceOf(NoSuchMethod);
    logs = [];
    const q = await handle(message({ method: 'cleanup_ignore_errors' }));
    expect(q.replies[0]!.failure).toBeInstanceOf(NoSuchMethod);
    expect(logs).toEqual([['debug', 'Exception during message handling']]);
    await server.stop();
    await server.wait();
  });

  it('replies with the original of an expected exception, logged at debug only', async () => {
    class NotFound extends Error {}
    const original = new NotFound('gone');
    const server = getRpcServer(transport, { topic: 't', server: 's' }, [
      {
        find: expectedExceptions(NotFound)(() => {
          throw original;
        }),
      },
    ]);
    await server.start();
    const m = await handle(message({ method: 'find' }));
    expect(m.replies[0]!.failure).toBe(original);
    expect(m.replies[0]!.failure).not.toBeInstanceOf(ExpectedException);
    expect(logs).toEqual([['debug', 'Expected exception during message handling']]);
    await server.stop();
    await server.wait();
  });

  it('survives a reply that cannot be delivered', async () => {
    const server = getRpcServer(transport, { topic: 't', server: 's' }, [{ ping: () => 'pong' }]);
    await server.start();
    await handle(message({ method: 'ping' }, { replyError: new MessageUndeliverable('gone', '', 'reply_x') }));
    expect(logs).toContainEqual(['warn', 'The reply to an RPC request could not be delivered: the caller is gone']);
    await handle(message({ method: 'ping' }, { replyError: new Error('socket closed') }));
    expect(logs).toContainEqual(['error', 'Failed to send an RPC reply']);
    await server.stop();
    await server.wait();
  });

  it('still dispatches and replies when the acknowledgement fails (rejected or thrown), logging it', async () => {
    const server = getRpcServer(transport, { topic: 't', server: 's' }, [
      { ping: () => 'pong', later: async () => 'pong later', fails: () => Promise.reject(new RangeError('async bad')) },
    ]);
    await server.start();
    const rejected = message({ method: 'ping' });
    rejected.incoming.acknowledge = () => Promise.reject(new Error('channel closed'));
    expect((await handle(rejected)).replies).toEqual([{ result: 'pong' }]);
    const thrown = message({ method: 'later' });
    thrown.incoming.acknowledge = () => {
      throw new Error('no channel');
    };
    expect((await handle(thrown)).replies).toEqual([{ result: 'pong later' }]);
    expect(logs.filter(([, m]) => m === 'Failed to acknowledge an RPC request')).toHaveLength(2);
    const failed = await handle(message({ method: 'fails' }));
    expect((failed.replies[0]!.failure as Error).message).toBe('async bad');
    const replyThrows = message({ method: 'ping' });
    replyThrows.incoming.reply = () => {
      throw new Error('encoder broke');
    };
    await handle(replyThrows);
    expect(logs).toContainEqual(['error', 'Failed to send an RPC reply']);
    expect(logs).not.toContainEqual(['error', 'Message handler failed']);
    await server.stop();
    await server.wait();
  });

  it('adds oslo_rpc_server_ping when rpc_ping_enabled, unless an endpoint has it', async () => {
    const pinged = await transportWith({ rpcPingEnabled: true });
    try {
      const server = getRpcServer(pinged, { topic: 't', server: 's' }, []);
      await server.start();
      expect((await handle(message({ method: 'oslo_rpc_server_ping' }))).replies).toEqual([{ result: 'pong' }]);
      await server.stop();
      await server.wait();
      getRpcServer(pinged, { topic: 't', server: 's' }, [{ oslo_rpc_server_ping: () => 'mine' }]);
      expect(logs).toContainEqual([
        'warn',
        'An endpoint already defines oslo_rpc_server_ping; not adding the ping endpoint',
      ]);
    } finally {
      await pinged.cleanup();
    }
    const server = getRpcServer(transport, { topic: 't', server: 's' }, [{ other: () => 1 }]);
    await server.start();
    expect((await handle(message({ method: 'oslo_rpc_server_ping' }))).replies[0]!.failure).toBeInstanceOf(
      NoSuchMethod,
    );
    await server.stop();
    await server.wait();
  });

  it('sends call-monitor heartbeats every trunc(timeout)/2 seconds while the endpoint runs', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const server = getRpcServer(transport, { topic: 't', server: 's' }, [{ slow: async () => (await slow, 'done') }]);
    await server.start();
    const m = message({ method: 'slow' }, { clientTimeout: 4.9 });
    await deliver!(m.incoming);
    await vi.advanceTimersByTimeAsync(2000 * 3 + 100);
    expect(m.heartbeats()).toBe(3);
    release();
    await Promise.all([...pending]);
    expect(m.replies).toEqual([{ result: 'done' }]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(m.heartbeats()).toBe(3);
    await server.stop();
    await server.wait();
  });

  it('sends no heartbeats for a timeout under 2 seconds, and warns', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const server = getRpcServer(transport, { topic: 't', server: 's' }, [{ slow: () => slow }]);
    await server.start();
    const m = message({ method: 'slow' }, { clientTimeout: 1 });
    await deliver!(m.incoming);
    await vi.advanceTimersByTimeAsync(5000);
    release();
    await Promise.all([...pending]);
    expect(m.heartbeats()).toBe(0);
    expect(logs).toContainEqual(['warn', 'Client provided an invalid timeout value of 1']);
    await server.stop();
    await server.wait();
  });
});

describe('server lifecycle', () => {
  it('start twice is ignored with a warning; stop, wait, then start again', async () => {
    const server = getRpcServer(transport, { topic: 't', server: 's' }, [{ ping: () => 'pong' }]);
    await server.start();
    await server.start();
    expect(logs).toContainEqual([
      'warn',
      'The server has already been started. Ignoring the redundant call to start().',
    ]);
    expect(events.filter((e) => e.startsWith('listen'))).toHaveLength(1);
    await server.stop();
    expect(server.running).toBe(false);
    await server.wait();
    expect(events).toEqual(['listen t.s', 'listener.stop', 'executor.shutdown', 'listener.cleanup']);
    await server.start();
    expect((await handle(message({ method: 'ping' }))).replies).toEqual([{ result: 'pong' }]);
    await server.stop();
    await server.wait();
  });

  it('wait lets in-flight work finish before releasing the listener', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const server = getRpcServer(transport, { topic: 't', server: 's' }, [
      { slow: async () => (await slow, events.push('endpoint done'), 1) },
    ]);
    await server.start();
    await deliver!(message({ method: 'slow' }).incoming);
    await server.stop();
    const waited = server.wait();
    await new Promise((r) => setTimeout(r, 20));
    expect(events).not.toContain('listener.cleanup');
    release();
    await waited;
    expect(events.at(-1)).toBe('listener.cleanup');
    expect(events.indexOf('endpoint done')).toBeLessThan(events.indexOf('reply'));
    expect(events.indexOf('reply')).toBeLessThan(events.indexOf('listener.cleanup'));
  });

  it('wait waits for a reply the broker has not confirmed yet, but at most the shutdown limit (a frozen broker)', async () => {
    vi.useFakeTimers();
    try {
      let confirm!: () => void;
      const server = getRpcServer(transport, { topic: 't', server: 's' }, [{ echo: () => 1 }]);
      await server.start();
      // Confirmed a moment later: wait() waits for it.
      await deliver!(message({ method: 'echo' }, { replyConfirmed: new Promise((r) => (confirm = r)) }).incoming);
      await server.stop();
      let waited = false;
      const waiting = server.wait().then(() => (waited = true));
      await vi.advanceTimersByTimeAsync(1000);
      expect(waited).toBe(false);
      confirm();
      await waiting;
      expect(events.indexOf('reply confirmed')).toBeLessThan(events.indexOf('listener.cleanup'));

      // Never confirmed (the broker froze): wait() goes on after the limit, with a warning.
      await server.start();
      await deliver!(message({ method: 'echo' }, { replyConfirmed: new Promise(() => {}) }).incoming);
      await server.stop();
      waited = false;
      const waitingAgain = server.wait().then(() => (waited = true));
      await vi.advanceTimersByTimeAsync(LISTENER_SHUTDOWN_LIMIT_MS - 1);
      expect(waited).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await waitingAgain;
      expect(logs.some(([level, m]) => level === 'warn' && m.includes('replies and acknowledgements'))).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('turns a listen failure into ServerListenError with the cause, and shuts the executor down', async () => {
    listenError = new Error('access refused');
    const server = getRpcServer(transport, { topic: 't', server: 's' }, []);
    const err = await server.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerListenError);
    expect((err as Error).message).toBe('Failed to listen: access refused');
    expect((err as Error).cause).toBe(listenError);
    expect(events).toEqual(['executor.shutdown']);
    expect(server.running).toBe(false);
  });

  it('a listener whose stop and cleanup fail (its channel died) still lets stop() and wait() finish, and start() again', async () => {
    const server = getRpcServer(transport, { topic: 't', server: 's' }, [{ ping: () => 'pong' }]);
    await server.start();
    listenerFailure = new Error('Channel closed');
    await expect(server.stop()).resolves.toBeUndefined();
    await expect(server.wait()).resolves.toBeUndefined();
    expect(events).toEqual(['listen t.s', 'listener.stop', 'executor.shutdown', 'listener.cleanup']);
    expect(logs.filter(([level]) => level === 'warn').map(([, m]) => m)).toEqual([
      'The driver failed to stop consuming: Channel closed; going on without it',
      'The driver failed to release its listener: Channel closed; going on without it',
    ]);
    listenerFailure = undefined;
    await server.start();
    const m = await handle(message({ method: 'ping', args: {} }));
    expect(m.replies).toEqual([{ result: 'pong' }]);
    await server.stop();
    await server.wait();
  });

  it('stop() does not wait forever for a start that waits for a broker: the start undoes itself when it completes', async () => {
    vi.useFakeTimers();
    try {
      let release!: () => void;
      listenGate = new Promise((r) => (release = r));
      const server = getRpcServer(transport, { topic: 't', server: 's' }, []);
      const started = server.start().catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(0);
      let stopped = false;
      const stopping = server.stop().then(() => (stopped = true));
      await vi.advanceTimersByTimeAsync(LISTENER_SHUTDOWN_LIMIT_MS - 1);
      expect(stopped).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await stopping;
      await server.wait();
      expect(logs.some(([, m]) => m.includes('did not finish starting'))).toBe(true);
      // The broker comes back: the start completes, and is undone at once.
      release();
      await vi.advanceTimersByTimeAsync(0);
      expect(await started).toBeInstanceOf(ServerListenError);
      expect(events).toEqual(['listen t.s', 'listener.stop', 'listener.cleanup', 'executor.shutdown']);
      expect(server.running).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stop() during a listener start that waits for its broker tells the listener to stop waiting, and returns at once', async () => {
    let release!: () => void;
    startGate = { promise: new Promise((r) => (release = r)), release: () => release() };
    const server = getRpcServer(transport, { topic: 't', server: 's' }, []);
    const started = server.start().catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 10));
    const t0 = Date.now();
    await server.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await started).toBeInstanceOf(ServerListenError);
    await server.wait();
    expect(events).toEqual(['listen t.s', 'listener.stop', 'listener.stop', 'listener.cleanup', 'executor.shutdown']);
    expect(server.running).toBe(false);
  });

  it('a named executor that is not installed fails start with ExecutorLoadFailure', async () => {
    const server = getRpcServer(transport, { topic: 't', server: 's' }, [], { executor: 'nosuch-executor' });
    await expect(server.start()).rejects.toThrow(/npm install @oslo-messaging\/executor-nosuch-executor/);
  });
});
