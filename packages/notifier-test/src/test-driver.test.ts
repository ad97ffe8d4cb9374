import { afterEach, describe, expect, it } from 'vitest';
import { Notifier, PluginRegistry, silentLogger } from '@oslo-messaging/core';
import { ENTRY_POINT_GROUPS, readBrand, type NotifierDriverContext } from '@oslo-messaging/core/spi';
import {
  NotificationStore,
  TestNotifierDriver,
  createTestNotifierDriver,
  getNotifications,
  resetNotifications,
  testNotifierDriver,
} from './index.js';

const context: NotifierDriverContext = {
  transport: undefined,
  topics: ['notifications'],
  settings: {},
  logger: silentLogger,
  loadDriver: () => Promise.reject(new Error('must not load other drivers')),
};
const message = (eventType: string) => ({
  message_id: 'm',
  publisher_id: 'p',
  event_type: eventType,
  priority: 'INFO',
  payload: { n: 1 },
  timestamp: 't',
});

afterEach(() => resetNotifications());

describe('test notifier driver', () => {
  it('is branded for the notify drivers group under the name test', () => {
    expect(readBrand(testNotifierDriver)?.group).toBe(ENTRY_POINT_GROUPS.notifyDrivers);
    expect(testNotifierDriver.name).toBe('test');
  });

  it('records (ctxt, message, priority, retry) in order, per instance and in the process-wide store', async () => {
    const a = testNotifierDriver.create(context);
    const b = testNotifierDriver.create(context);
    await a.notify({ user_id: 'u' }, message('e.one'), 'info', -1);
    await b.notify({}, message('e.two'), 'error', 0);
    expect(a.notifications).toEqual([
      { ctxt: { user_id: 'u' }, message: message('e.one'), priority: 'info', retry: -1 },
    ]);
    expect(b.notifications.map((n) => n.message.event_type)).toEqual(['e.two']);
    expect(getNotifications().map((n) => [n.message.event_type, n.priority, n.retry])).toEqual([
      ['e.one', 'info', -1],
      ['e.two', 'error', 0],
    ]);
  });

  it('resetNotifications clears the process-wide store; reset() clears one instance only', async () => {
    const a = testNotifierDriver.create(context);
    await a.notify({}, message('e'), 'info', null);
    a.reset();
    expect(a.notifications).toEqual([]);
    expect(getNotifications()).toHaveLength(1);
    resetNotifications();
    expect(getNotifications()).toEqual([]);
  });

  it('hands out snapshots: changing a returned list does not change the store', async () => {
    await testNotifierDriver.create(context).notify({}, message('e'), 'info', undefined);
    const list = getNotifications() as unknown[];
    list.length = 0;
    expect(getNotifications()).toHaveLength(1);
  });

  it('createTestNotifierDriver records into its own store, not the process-wide one', async () => {
    const plugin = createTestNotifierDriver();
    expect(readBrand(plugin)?.group).toBe(ENTRY_POINT_GROUPS.notifyDrivers);
    expect(plugin.store).toBeInstanceOf(NotificationStore);
    await plugin.create().notify({}, message('private'), 'warn', 3);
    expect(plugin.store.notifications.map((n) => n.message.event_type)).toEqual(['private']);
    expect(getNotifications()).toEqual([]);
  });

  it('createTestNotifierDriver can share a given store and take another name', async () => {
    const store = new NotificationStore();
    const one = createTestNotifierDriver({ store, name: 'audit-recorder' });
    expect(one.name).toBe('audit-recorder');
    await one.create().notify({}, message('x'), 'audit', -1);
    await createTestNotifierDriver({ store }).create().notify({}, message('y'), 'sample', -1);
    expect(store.notifications.map((n) => n.message.event_type)).toEqual(['x', 'y']);
  });
});

describe('test notifier driver end to end through Notifier', () => {
  it('receives what the notifier emits: sanitized context, oslo message fields, lower-case priority, retry', async () => {
    const registry = new PluginRegistry();
    registry.register(ENTRY_POINT_GROUPS.notifyDrivers, 'test', testNotifierDriver);
    const notifier = new Notifier(undefined, {
      driver: 'test',
      plugins: registry,
      logger: silentLogger,
      publisherId: 'compute.host1',
      retry: 2,
    });
    await notifier.info({ user_id: 'u', auth_token: 'secret-token' }, 'compute.instance.create.end', { id: 1 });
    await notifier.prepare({ publisherId: 'compute.host2' }).warn({}, 'compute.instance.delete.start', { id: 2 });
    await notifier.sample({}, 'metering', [1, 2]);

    const sent = getNotifications();
    expect(
      sent.map((n) => [n.message.event_type, n.message.priority, n.priority, n.message.publisher_id, n.retry]),
    ).toEqual([
      ['compute.instance.create.end', 'INFO', 'info', 'compute.host1', 2],
      ['compute.instance.delete.start', 'WARN', 'warn', 'compute.host2', 2],
      ['metering', 'SAMPLE', 'sample', 'compute.host1', 2],
    ]);
    expect(sent[0]!.ctxt).toEqual({ user_id: 'u' });
    expect(sent[0]!.message.payload).toEqual({ id: 1 });
    expect(sent[0]!.message.message_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent[0]!.message.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);

    const [loaded] = await notifier.loadDrivers();
    expect(loaded!.driver).toBeInstanceOf(TestNotifierDriver);
    expect((loaded!.driver as TestNotifierDriver).notifications).toHaveLength(3);
  });

  it("an isolated plugin made by createTestNotifierDriver sees only its notifier's notifications", async () => {
    const plugin = createTestNotifierDriver();
    const registry = new PluginRegistry();
    registry.register(ENTRY_POINT_GROUPS.notifyDrivers, 'test', plugin);
    const notifier = new Notifier(undefined, { driver: 'test', plugins: registry, logger: silentLogger });
    await notifier.error({}, 'volume.attach.error', { reason: 'busy' });
    expect(plugin.store.notifications.map((n) => [n.message.event_type, n.priority])).toEqual([
      ['volume.attach.error', 'error'],
    ]);
    expect(getNotifications()).toEqual([]);
  });
});
