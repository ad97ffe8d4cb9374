import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  MessageDeliveryFailure,
  Notifier,
  PluginRegistry,
  silentLogger,
  type Context,
  type LogFields,
  type Logger,
  type Target,
} from '@oslo-messaging/core';
import {
  ENTRY_POINT_GROUPS,
  readBrand,
  type NotificationMessage,
  type NotificationSender,
  type NotifierDriverContext,
} from '@oslo-messaging/core/spi';
import { MessagingNotifierDriver, messagingV1Driver, messagingV2Driver } from './index.js';

interface Sent {
  topic: string | undefined;
  exchange: string | undefined;
  ctxt: Context;
  message: NotificationMessage;
  version: 1 | 2;
  retry: number | null | undefined;
}

/** A NotificationSender that records sends and fails for the topics named in `failOn`. */
function recordingSender(failOn: readonly string[] = []): NotificationSender & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    async sendNotification(
      target: Target,
      ctxt: Context,
      message: NotificationMessage,
      version: 1 | 2,
      retry?: number | null,
    ) {
      if (failOn.includes(target.topic ?? '')) throw new Error(`broker refused ${target.topic}`);
      sent.push({ topic: target.topic, exchange: target.exchange, ctxt, message, version, retry });
    },
  };
}

function contextWith(
  transport: NotificationSender | undefined,
  topics: readonly string[] = ['notifications'],
): NotifierDriverContext {
  return {
    transport,
    topics,
    settings: {},
    logger: silentLogger,
    loadDriver: () => Promise.reject(new Error('unused')),
  };
}

const message: NotificationMessage = {
  message_id: 'm-1',
  publisher_id: 'compute.host1',
  event_type: 'compute.instance.create.end',
  priority: 'INFO',
  payload: { id: 1 },
  timestamp: '2026-11-25 00:00:00',
};

describe('messaging notifier drivers', () => {
  it('are branded for the notify drivers group as messagingv2 and messaging', () => {
    expect(readBrand(messagingV2Driver)?.group).toBe(ENTRY_POINT_GROUPS.notifyDrivers);
    expect(readBrand(messagingV1Driver)?.group).toBe(ENTRY_POINT_GROUPS.notifyDrivers);
    expect([messagingV2Driver.name, messagingV1Driver.name]).toEqual(['messagingv2', 'messaging']);
  });

  it('messagingv2 sends once per topic to <topic>.<priority> with format 2, no exchange (control exchange), retry passed on', async () => {
    const sender = recordingSender();
    const driver = await messagingV2Driver.create(contextWith(sender, ['notifications', 'audit_feed']));
    await driver.notify({ user_id: 'u' }, message, 'info', 3);
    expect(sender.sent.map(({ topic, exchange, version, retry }) => ({ topic, exchange, version, retry }))).toEqual([
      { topic: 'notifications.info', exchange: undefined, version: 2, retry: 3 },
      { topic: 'audit_feed.info', exchange: undefined, version: 2, retry: 3 },
    ]);
    expect(sender.sent[0]!.ctxt).toEqual({ user_id: 'u' });
    expect(sender.sent[0]!.message).toBe(message);
  });

  it('messaging (v1) sends format 1 and lower-cases the priority for the topic', async () => {
    const sender = recordingSender();
    const driver = await messagingV1Driver.create(contextWith(sender));
    await driver.notify({}, { ...message, priority: 'ERROR' }, 'ERROR', null);
    expect(sender.sent.map(({ topic, version, retry }) => [topic, version, retry])).toEqual([
      ['notifications.error', 1, null],
    ]);
  });

  it('sends nothing when there are no topics', async () => {
    const sender = recordingSender();
    await (await messagingV2Driver.create(contextWith(sender, []))).notify({}, message, 'info', -1);
    expect(sender.sent).toEqual([]);
  });

  it('still tries every topic when one fails, then reports the failure as MessageDeliveryFailure', async () => {
    const sender = recordingSender(['a.warn']);
    const driver = new MessagingNotifierDriver(sender, ['a', 'b', 'c'], 2);
    const err = await driver.notify({}, message, 'warn', 0).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(sender.sent.map((s) => s.topic)).toEqual(['b.warn', 'c.warn']);
    expect(err).toBeInstanceOf(MessageDeliveryFailure);
    expect((err as Error).message).toContain('a.warn: broker refused a.warn');
    expect((err as Error).message).toContain('m-1');
    expect(((err as Error).cause as Error).message).toBe('broker refused a.warn');
  });

  it('reports the failure of a single topic as MessageDeliveryFailure too, and reuses its target', async () => {
    const sender = recordingSender(['only.info']);
    const driver = new MessagingNotifierDriver(sender, ['only'], 2);
    const err = (await driver.notify({}, message, 'info', 0).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(MessageDeliveryFailure);
    expect(err.message).toContain('only.info: broker refused only.info');
    expect((err.cause as Error).message).toBe('broker refused only.info');
    const ok = new MessagingNotifierDriver(recordingSender(), ['n'], 2);
    const targets: unknown[] = [];
    const spy = { sendNotification: async (t: unknown) => void targets.push(t) };
    const reused = new MessagingNotifierDriver(spy, ['n'], 2);
    await reused.notify({}, message, 'info', 0);
    await reused.notify({}, message, 'info', 0);
    expect(targets[0]).toBe(targets[1]);
    await expect(ok.notify({}, message, 'info', 0)).resolves.toBeUndefined();
  });

  it('names every failed topic when several fail', async () => {
    const driver = new MessagingNotifierDriver(recordingSender(['a.info', 'b.info']), ['a', 'b'], 1);
    const err = (await driver.notify({}, message, 'info', 0).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/a\.info: broker refused a\.info; b\.info: broker refused b\.info/);
    expect(err.cause).toBeInstanceOf(AggregateError);
  });

  it('refuses to start without a transport, with a ConfigurationError that says what to do', async () => {
    for (const plugin of [messagingV2Driver, messagingV1Driver]) {
      const attempt = async () => plugin.create(contextWith(undefined));
      await expect(attempt()).rejects.toBeInstanceOf(ConfigurationError);
      await expect(attempt()).rejects.toThrow(
        new RegExp(`The ${plugin.name} notification driver publishes through a transport.*getNotificationTransport`),
      );
    }
  });
});

function recordingLogger(): Logger & { errors: Array<[string, LogFields | undefined]> } {
  const errors: Array<[string, LogFields | undefined]> = [];
  return { errors, debug() {}, info() {}, warn() {}, error: (m, f) => void errors.push([m, f]) };
}

describe('messaging notifier drivers end to end through Notifier', () => {
  it('a Notifier without a transport logs the ConfigurationError instead of throwing', async () => {
    const registry = new PluginRegistry();
    registry.register(ENTRY_POINT_GROUPS.notifyDrivers, 'messagingv2', messagingV2Driver);
    const logger = recordingLogger();
    const notifier = new Notifier(undefined, { driver: 'messagingv2', plugins: registry, logger });
    await expect(notifier.info({}, 'e', {})).resolves.toBeUndefined();
    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0]![0]).toBe('Failed to load notification drivers');
    expect(String((logger.errors[0]![1]?.['err'] as Error).message)).toContain(
      'messagingv2 notification driver publishes through a transport',
    );
  });
});
