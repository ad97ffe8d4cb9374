import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, InvalidTarget } from '../errors.js';
import { silentLogger } from '../logger.js';
import { PluginRegistry } from '../plugins/registry.js';
import { defineDriver, defineExecutor } from '../spi/define.js';
import type { IncomingMessage, NotificationListenOptions } from '../spi/driver.js';
import { ENTRY_POINT_GROUPS } from '../spi/entry-point.js';
import type { Target } from '../target.js';
import { getNotificationTransport, type Transport } from '../transport.js';
import type { BatchNotification } from './dispatcher.js';
import { NotificationFilter } from './filter.js';
import { getBatchNotificationListener, getNotificationListener } from './listener.js';
import { NotificationResult } from './priorities.js';

let listened: Array<{ pairs: string[]; options: NotificationListenOptions }>;
let deliver: ((m: IncomingMessage) => void | Promise<void>) | undefined;
let settled: string[];
let pending: Set<Promise<void>>;
let transport: Transport;

const executor = defineExecutor({
  name: 'inline',
  create: () => ({
    async submit(task) {
      const p = task().finally(() => pending.delete(p));
      pending.add(p);
    },
    async shutdown() {
      await Promise.all([...pending]);
    },
  }),
});

const driver = defineDriver({
  name: 'mem',
  create: () => ({
    send: async () => undefined,
    sendNotification: async () => {},
    listen: async () => {
      throw new Error('not used');
    },
    async listenForNotifications(pairs: ReadonlyArray<readonly [Target, string]>, options: NotificationListenOptions) {
      listened.push({ pairs: pairs.map(([t, p]) => `${t.exchange ?? ''}/${t.topic}.${p}`), options });
      return {
        start: async (onMessage: (m: IncomingMessage) => void | Promise<void>) => void (deliver = onMessage),
        stop: async () => void (deliver = undefined),
        cleanup: async () => {},
      };
    },
    cleanup: async () => {},
  }),
});

function note(id: string, priority = 'INFO', eventType = 'compute.instance.exists'): IncomingMessage {
  return {
    ctxt: { user_id: 'u1' },
    message: {
      message_id: id,
      publisher_id: 'compute.host1',
      event_type: eventType,
      priority,
      payload: { id },
      timestamp: '2026-11-25 00:37:06.121674',
    },
    reply: async () => {},
    heartbeat: async () => {},
    acknowledge: async () => void settled.push(`ack ${id}`),
    requeue: async () => void settled.push(`requeue ${id}`),
  };
}

async function send(...messages: IncomingMessage[]) {
  for (const m of messages) await deliver!(m);
  await Promise.all([...pending]);
}

beforeEach(async () => {
  listened = [];
  deliver = undefined;
  settled = [];
  pending = new Set();
  const plugins = new PluginRegistry();
  plugins.register(ENTRY_POINT_GROUPS.drivers, 'mem', driver);
  plugins.register(ENTRY_POINT_GROUPS.executors, 'pool', executor);
  transport = await getNotificationTransport({ url: 'mem://', plugins, logger: silentLogger });
});

afterEach(async () => {
  vi.useRealTimers();
  await transport.cleanup();
});

describe('notification listener construction', () => {
  it('needs targets with topics and endpoints with priority methods', () => {
    expect(() => getNotificationListener(transport, [], [{ info() {} }])).toThrow(ConfigurationError);
    expect(() => getNotificationListener(transport, [{ exchange: 'nova' }], [{ info() {} }])).toThrow(InvalidTarget);
    expect(() => getNotificationListener(transport, [{ topic: 'notifications' }], [{}])).toThrow(
      'No endpoint implements a notification priority method',
    );
  });

  it('listens to every target for the priorities its endpoints handle, in the given pool', async () => {
    const server = getNotificationListener(
      transport,
      [{ topic: 'notifications' }, { topic: 'alerts', exchange: 'nova' }],
      [{ info() {} }, { error() {} }],
      { pool: 'p1' },
    );
    await server.start();
    expect(listened).toEqual([
      {
        pairs: ['/notifications.info', '/notifications.error', 'nova/alerts.info', 'nova/alerts.error'],
        options: { pool: 'p1' },
      },
    ]);
    await server.stop();
    await server.wait();
  });
});

describe('NotificationServer', () => {
  it('acknowledges handled notifications, and requeues only when allowed', async () => {
    const result = { value: undefined as unknown };
    const endpoint = { info: () => result.value };
    const strict = getNotificationListener(transport, [{ topic: 'n' }], [endpoint]);
    await strict.start();
    await send(note('1'));
    result.value = NotificationResult.REQUEUE;
    await send(note('2'));
    await strict.stop();
    await strict.wait();
    const lenient = getNotificationListener(transport, [{ topic: 'n' }], [endpoint], { allowRequeue: true });
    await lenient.start();
    await send(note('3'));
    await lenient.stop();
    await lenient.wait();
    expect(settled).toEqual(['ack 1', 'ack 2', 'requeue 3']);
  });

  it('requeues (when allowed) a notification whose endpoint throws', async () => {
    const server = getNotificationListener(
      transport,
      [{ topic: 'n' }],
      [
        {
          error: () => {
            throw new Error('db down');
          },
        },
      ],
      { allowRequeue: true },
    );
    await server.start();
    await send(note('1', 'ERROR'));
    await server.stop();
    await server.wait();
    expect(settled).toEqual(['requeue 1']);
  });

  it('settles after an async endpoint, requeues when a serializer rejects, and logs a failed settle', async () => {
    const logs: string[] = [];
    const logger = { ...silentLogger, warn: (m: string) => void logs.push(m), error: (m: string) => void logs.push(m) };
    const plugins = new PluginRegistry();
    plugins.register(ENTRY_POINT_GROUPS.drivers, 'mem', driver);
    plugins.register(ENTRY_POINT_GROUPS.executors, 'pool', executor);
    const logged = await getNotificationTransport({ url: 'mem://', plugins, logger });
    const serializer = {
      serializeEntity: (_c: unknown, e: unknown) => e,
      deserializeEntity: (_c: unknown, e: unknown) =>
        (e as { id: string }).id === 'bad' ? Promise.reject(new Error('cannot decode')) : e,
      serializeContext: (c: Record<string, unknown>) => c,
      deserializeContext: (c: Record<string, unknown>) => c,
    };
    const server = getNotificationListener(
      logged,
      [{ topic: 'n' }],
      [{ info: async () => new Promise((r) => setTimeout(r, 1)) }],
      { allowRequeue: true, serializer },
    );
    await server.start();
    await send(note('1'), note('bad'));
    const rejected = note('2');
    rejected.acknowledge = () => Promise.reject(new Error('channel closed'));
    const thrown = note('3');
    thrown.acknowledge = () => {
      throw new Error('no channel');
    };
    await send(rejected, thrown);
    await server.stop();
    await server.wait();
    await logged.cleanup();
    expect(settled.sort()).toEqual(['ack 1', 'requeue bad']);
    expect(logs).toEqual([
      'Exception during notification dispatch',
      'Failed to settle a notification',
      'Failed to settle a notification',
    ]);
  });
});

describe('BatchNotificationServer', () => {
  it('delivers full batches grouped by priority', async () => {
    const batches: string[][] = [];
    const record = (ms: BatchNotification[]) =>
      void batches.push(ms.map((m) => `${m.priority}:${(m.payload as { id: string }).id}`));
    const server = getBatchNotificationListener(transport, [{ topic: 'n' }], [{ info: record, error: record }], {
      batchSize: 3,
    });
    await server.start();
    await send(note('1'), note('2', 'ERROR'));
    expect(batches).toEqual([]);
    await send(note('3'));
    expect(batches).toEqual([['error:2'], ['info:1', 'info:3']]);
    expect(settled.sort()).toEqual(['ack 1', 'ack 2', 'ack 3']);
    await server.stop();
    await server.wait();
  });

  it('flushes a partial batch on stop', async () => {
    const seen: string[] = [];
    const server = getBatchNotificationListener(
      transport,
      [{ topic: 'n' }],
      [{ info: (ms: BatchNotification[]) => void seen.push(...ms.map((m) => String(m.metadata.message_id))) }],
      { batchSize: 10 },
    );
    await server.start();
    await send(note('a'), note('b'));
    expect(seen).toEqual([]);
    await server.stop();
    await server.wait();
    expect(seen).toEqual(['a', 'b']);
  });

  it('flushes a partial batch after batchTimeout seconds', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const seen: string[] = [];
    const server = getBatchNotificationListener(
      transport,
      [{ topic: 'n' }],
      [{ info: (ms: BatchNotification[]) => void seen.push(...ms.map((m) => String(m.metadata.message_id))) }],
      { batchSize: 10, batchTimeout: 2 },
    );
    await server.start();
    await send(note('a'));
    await vi.advanceTimersByTimeAsync(1900);
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    await Promise.all([...pending]);
    expect(seen).toEqual(['a']);
    vi.useRealTimers();
    await server.stop();
    await server.wait();
  });

  it('applies filter rules per endpoint and requeues a failed priority group when allowed', async () => {
    const seen: string[] = [];
    const server = getBatchNotificationListener(
      transport,
      [{ topic: 'n' }],
      [
        {
          filterRule: new NotificationFilter({ eventType: 'compute\\.' }),
          info: (ms: BatchNotification[]) => void seen.push(...ms.map((m) => m.event_type)),
        },
        {
          error: () => {
            throw new Error('boom');
          },
        },
      ],
      { batchSize: 3, allowRequeue: true },
    );
    await server.start();
    await send(note('1', 'INFO', 'compute.x'), note('2', 'INFO', 'network.y'), note('3', 'ERROR'));
    expect(seen).toEqual(['compute.x']);
    expect(settled.sort()).toEqual(['ack 1', 'ack 2', 'requeue 3']);
    await server.stop();
    await server.wait();
  });

  it('acknowledges notifications with an unknown priority without calling endpoints', async () => {
    const seen: string[] = [];
    const server = getBatchNotificationListener(
      transport,
      [{ topic: 'n' }],
      [{ info: () => void seen.push('called') }],
      { batchSize: 1 },
    );
    await server.start();
    await send(note('x', 'LOUD'));
    expect(seen).toEqual([]);
    expect(settled).toEqual(['ack x']);
    await server.stop();
    await server.wait();
  });
});
