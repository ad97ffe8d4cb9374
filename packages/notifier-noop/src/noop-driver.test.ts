import { describe, expect, it } from 'vitest';
import { Notifier, PluginRegistry, type LogFields, type Logger } from '@oslo-messaging/core';
import { ENTRY_POINT_GROUPS, readBrand, type NotifierDriverContext } from '@oslo-messaging/core/spi';
import { NoopNotifierDriver, noopNotifierDriver } from './index.js';

function recordingLogger(): Logger & { lines: Array<[string, string, LogFields | undefined]> } {
  const lines: Array<[string, string, LogFields | undefined]> = [];
  const at = (level: string) => (message: string, fields?: LogFields) => void lines.push([level, message, fields]);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('noop notifier driver', () => {
  it('is branded for the notify drivers group under the name noop', () => {
    expect(readBrand(noopNotifierDriver)?.group).toBe(ENTRY_POINT_GROUPS.notifyDrivers);
    expect(noopNotifierDriver.name).toBe('noop');
  });

  it('needs no transport and resolves without doing anything', async () => {
    const context: NotifierDriverContext = {
      transport: undefined,
      topics: ['notifications'],
      settings: {},
      logger: recordingLogger(),
      loadDriver: () => Promise.reject(new Error('must not load other drivers')),
    };
    const driver = await noopNotifierDriver.create(context);
    expect(driver).toBeInstanceOf(NoopNotifierDriver);
    await expect(
      driver.notify(
        {},
        { message_id: 'm', publisher_id: 'p', event_type: 'e', priority: 'INFO', payload: {}, timestamp: 't' },
        'info',
        -1,
      ),
    ).resolves.toBeUndefined();
  });

  it('end to end: a Notifier with driver noop is disabled, sends nothing and logs no problem', async () => {
    const registry = new PluginRegistry();
    registry.register(ENTRY_POINT_GROUPS.notifyDrivers, 'noop', noopNotifierDriver);
    const logger = recordingLogger();
    const notifier = new Notifier(undefined, { driver: 'noop', plugins: registry, logger, publisherId: 'svc.host' });
    expect(notifier.isEnabled()).toBe(false);
    await notifier.info({ user_id: 'u' }, 'compute.instance.create.end', { id: 1 });
    await notifier.error({}, 'compute.instance.create.error', { id: 2 });
    const [loaded] = await notifier.loadDrivers();
    expect(loaded?.driver).toBeInstanceOf(NoopNotifierDriver);
    expect(logger.lines.filter(([level]) => level === 'error')).toEqual([]);
  });

  it('keeps the notifier enabled when noop is one of several drivers (oslo: only a lone noop disables)', () => {
    const notifier = new Notifier(undefined, { driver: ['noop', 'log'] });
    expect(notifier.isEnabled()).toBe(true);
  });
});
