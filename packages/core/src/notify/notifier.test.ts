import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../logger.js';
import { PluginRegistry } from '../plugins/registry.js';
import { defineNotifierDriver } from '../spi/define.js';
import type { Context, NotificationMessage } from '../spi/driver.js';
import { ENTRY_POINT_GROUPS } from '../spi/entry-point.js';
import type { NotifierDriverContext } from '../spi/notifier.js';
import { Target } from '../target.js';
import { Transport } from '../transport.js';
import { TransportURL } from '../transport-url.js';
import { createRemoteErrorCodec } from '../wire/failure.js';
import type { Driver, NotificationSendOptions } from '../spi/driver.js';
import { Notifier, pythonTimestamp, sanitizeNotificationContext } from './notifier.js';

let logs: Array<[string, string]> = [];
const logger: Logger = {
  debug: (m) => logs.push(['debug', m]),
  info: (m) => logs.push(['info', m]),
  warn: (m) => logs.push(['warn', m]),
  error: (m) => logs.push(['error', m]),
};
type Sent = { driver: string; ctxt: Context; message: NotificationMessage; priority: string; retry: unknown };
let sent: Sent[] = [];
let created: Array<{ name: string; context: NotifierDriverContext }> = [];

function registry(): PluginRegistry {
  const r = new PluginRegistry();
  for (const name of ['memory', 'other']) {
    r.register(
      ENTRY_POINT_GROUPS.notifyDrivers,
      name,
      defineNotifierDriver({
        name,
        create(context) {
          created.push({ name, context });
          return {
            notify: async (ctxt, message, priority, retry) =>
              void sent.push({ driver: name, ctxt, message, priority, retry }),
          };
        },
      }),
    );
  }
  r.register(
    ENTRY_POINT_GROUPS.notifyDrivers,
    'broken',
    defineNotifierDriver({
      name: 'broken',
      create: () => ({
        notify: async () => {
          throw new Error('bus down');
        },
      }),
    }),
  );
  return r;
}

afterEach(() => {
  logs = [];
  sent = [];
  created = [];
});

describe('Notifier', () => {
  it('builds oslo notification messages', async () => {
    const n = new Notifier(undefined, { publisherId: 'compute.host1', driver: 'memory', plugins: registry(), logger });
    await n.info({ user_id: 'u1', auth_token: 'SECRET' }, 'compute.instance.create.end', { id: 1 });
    expect(sent).toHaveLength(1);
    const { message, ctxt, priority } = sent[0]!;
    expect(priority).toBe('info');
    expect(message).toMatchObject({
      publisher_id: 'compute.host1',
      event_type: 'compute.instance.create.end',
      priority: 'INFO',
      payload: { id: 1 },
    });
    expect(message.message_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(message.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
    expect(ctxt).toEqual({ user_id: 'u1' }); // auth_token never leaves
  });

  it('has a method per priority, warning being WARN', async () => {
    const n = new Notifier(undefined, { driver: 'memory', plugins: registry(), logger });
    for (const m of ['audit', 'debug', 'info', 'warn', 'warning', 'error', 'critical', 'sample'] as const)
      await n[m]({}, 'e', null);
    expect(sent.map((s) => s.message.priority)).toEqual([
      'AUDIT',
      'DEBUG',
      'INFO',
      'WARN',
      'WARN',
      'ERROR',
      'CRITICAL',
      'SAMPLE',
    ]);
  });

  it('sends through every configured driver, and never throws when one fails', async () => {
    const n = new Notifier(undefined, { driver: ['memory', 'broken', 'other'], plugins: registry(), logger });
    await expect(n.error({}, 'e', {})).resolves.toBeUndefined();
    expect(sent.map((s) => s.driver)).toEqual(['memory', 'other']);
    expect(logs).toEqual([['error', "Problem 'bus down' attempting to send to notification system"]]);
  });

  it('logs, and does not throw, when a driver is missing', async () => {
    const n = new Notifier(undefined, { driver: 'nosuch-notifier', plugins: registry(), logger });
    await expect(n.info({}, 'e', {})).resolves.toBeUndefined();
    expect(logs).toEqual([['error', 'Failed to load notification drivers']]);
    await expect(n.loadDrivers()).rejects.toThrow(/npm install @oslo-messaging\/notifier-nosuch-notifier/);
  });

  it('loads drivers once and shares them with prepared notifiers', async () => {
    const n = new Notifier(undefined, { publisherId: 'a', driver: 'memory', plugins: registry(), logger, retry: 3 });
    const p = n.prepare({ publisherId: 'b' });
    await n.info({}, 'e', 1);
    await p.info({}, 'e', 2);
    expect(created).toHaveLength(1);
    expect(sent.map((s) => [s.message.publisher_id, s.retry])).toEqual([
      ['a', 3],
      ['b', 3],
    ]);
    await n.prepare({ retry: 0 }).info({}, 'e', 3);
    expect(sent[2]!.retry).toBe(0);
  });

  it('passes topics and settings to drivers', async () => {
    const n = new Notifier(undefined, { driver: 'memory', topics: ['a', 'b'], plugins: registry(), logger });
    await n.loadDrivers();
    expect(created[0]!.context.topics).toEqual(['a', 'b']);
    expect(created[0]!.context.transport).toBeUndefined();
    await expect(created[0]!.context.loadDriver('memory')).rejects.toThrow(
      'Notification driver memory cannot route to itself',
    );
  });

  it('reads driver, topics and retry from [oslo_messaging_notifications] of the transport config; options win', async () => {
    const forwarded: unknown[][] = [];
    const driver = { sendNotification: async (...args: unknown[]) => void forwarded.push(args) } as unknown as Driver;
    const config = { oslo_messaging_notifications: { driver: 'memory, other', topics: 'x,y', retry: '2' } };
    const conf = {
      controlExchange: 'openstack',
      rpcResponseTimeout: 60,
      executorThreadPoolSize: 64,
      rpcPingEnabled: false,
      config,
    };
    const t = new Transport(
      TransportURL.parse('mem://'),
      'notification',
      conf,
      driver,
      registry(),
      logger,
      createRemoteErrorCodec([]),
    );
    await new Notifier(t).info({}, 'e', 1);
    expect(sent.map((s) => [s.driver, s.retry])).toEqual([
      ['memory', 2],
      ['other', 2],
    ]);
    expect(created[0]!.context.topics).toEqual(['x', 'y']);
    // Notifier drivers publish through the transport's driver, tracked so that cleanup rejects pending sends.
    await created[0]!.context.transport!.sendNotification(
      new Target({ topic: 'x.info' }),
      {},
      {} as NotificationMessage,
      2,
      3,
    );
    expect(forwarded).toHaveLength(1);
    const options = forwarded[0]![3] as NotificationSendOptions;
    expect([options.version, options.retry]).toEqual([2, 3]);
    expect(options.signal).toBeInstanceOf(AbortSignal);
    expect(created[0]!.context.settings).toBe(config.oslo_messaging_notifications);
    sent = [];
    await new Notifier(t, { driver: 'other', retry: -1 }).info({}, 'e', 1);
    expect(sent.map((s) => [s.driver, s.retry])).toEqual([['other', -1]]);
  });

  it('is disabled only with the noop driver alone', () => {
    expect(new Notifier(undefined, { driver: 'noop' }).isEnabled()).toBe(false);
    expect(new Notifier(undefined, { driver: ['noop', 'log'] }).isEnabled()).toBe(true);
    expect(new Notifier(undefined, {}).isEnabled()).toBe(true);
  });

  it('logs and drops a notification its serializer cannot build', async () => {
    const serializer = {
      serializeEntity: () => {
        throw new Error('cannot serialize');
      },
      deserializeEntity: (_c: Context, e: unknown) => e,
      serializeContext: (c: Context) => c,
      deserializeContext: (c: Context) => c,
    };
    await new Notifier(undefined, { driver: 'memory', plugins: registry(), logger, serializer }).info({}, 'e', {});
    expect(sent).toEqual([]);
    expect(logs).toEqual([['error', 'Failed to build a notification']]);
  });

  it('waits for a serializer that returns promises, and logs one that rejects', async () => {
    const serializer = {
      serializeEntity: async (_c: Context, e: unknown) => {
        await new Promise((r) => setTimeout(r, 1));
        if (e === 'bad') throw new Error('cannot serialize');
        return { wrapped: e };
      },
      deserializeEntity: (_c: Context, e: unknown) => e,
      serializeContext: (c: Context) => c,
      deserializeContext: (c: Context) => c,
    };
    const n = new Notifier(undefined, { driver: 'memory', plugins: registry(), logger, serializer });
    await expect(n.info({}, 'e', 'good')).resolves.toBeUndefined();
    expect(sent.map((m) => m.message['payload'])).toEqual([{ wrapped: 'good' }]);
    await expect(n.info({}, 'e', 'bad')).resolves.toBeUndefined();
    expect(logs).toEqual([['error', 'Failed to build a notification']]);
  });
});

describe('sanitizeNotificationContext', () => {
  it('keeps only oslo 14 safe keys', () => {
    expect(
      sanitizeNotificationContext({
        user_id: 'u',
        project_id: 'p',
        request_id: 'r',
        roles: ['a'],
        auth_token: 't',
        password: 'x',
        service_catalog: [],
        otel_traceparent: '00-1',
      }),
    ).toEqual({
      user_id: 'u',
      project_id: 'p',
      request_id: 'r',
      roles: ['a'],
      otel_traceparent: '00-1',
    });
  });
});

describe('pythonTimestamp', () => {
  it("writes Python's str(utcnow()): microseconds, dropped when zero", () => {
    expect(pythonTimestamp(new Date(Date.UTC(2026, 10, 25, 0, 37, 6, 121)))).toBe('2026-11-25 00:37:06.121000');
    expect(pythonTimestamp(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 0)))).toBe('2026-01-02 03:04:05');
  });

  it('gives the time now, the same string within one millisecond and a new one after it', () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 25, 0, 37, 6, 121) });
    try {
      expect(pythonTimestamp()).toBe('2026-11-25 00:37:06.121000');
      expect(pythonTimestamp()).toBe('2026-11-25 00:37:06.121000');
      vi.advanceTimersByTime(1);
      expect(pythonTimestamp()).toBe('2026-11-25 00:37:06.122000');
    } finally {
      vi.useRealTimers();
    }
  });
});
