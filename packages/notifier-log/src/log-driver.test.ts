import { describe, expect, it } from 'vitest';
import { Notifier, PluginRegistry, silentLogger, type LogFields, type Logger } from '@oslo-messaging/core';
import { ENTRY_POINT_GROUPS, readBrand, type NotifierDriverContext } from '@oslo-messaging/core/spi';
import {
  DEFAULT_PRIORITY_LEVELS,
  LogNotifierDriver,
  createLogNotifierDriver,
  logNotifierDriver,
  type NotificationLogRecord,
} from './index.js';

type Line = { level: string; message: string; fields: LogFields | undefined; name?: string };

function recordingLogger(lines: Line[], name?: string): Logger {
  const at = (level: string) => (message: string, fields?: LogFields) =>
    void lines.push({ level, message, fields, ...(name ? { name } : {}) });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function contextWith(logger: Logger): NotifierDriverContext {
  return {
    transport: undefined,
    topics: ['notifications'],
    settings: {},
    logger,
    loadDriver: () => Promise.reject(new Error('unused')),
  };
}

const message = {
  message_id: 'm-1',
  publisher_id: 'identity.host1',
  event_type: 'identity.user.created',
  priority: 'INFO',
  payload: { user: 'alice', password: 'hunter2', nested: { auth_token: 'tok', note: 'password=abc' } },
  timestamp: '2026-11-25 00:00:00',
};

describe('log notifier driver', () => {
  it('is branded for the notify drivers group under the name log', () => {
    expect(readBrand(logNotifierDriver)?.group).toBe(ENTRY_POINT_GROUPS.notifyDrivers);
    expect(logNotifierDriver.name).toBe('log');
    expect(readBrand(createLogNotifierDriver({ name: 'audit-log' }))?.group).toBe(ENTRY_POINT_GROUPS.notifyDrivers);
    expect(createLogNotifierDriver({ name: 'audit-log' }).name).toBe('audit-log');
  });

  it("writes one line to the notifier's logger: JSON of the notification with secrets masked, logger name and priority as fields", async () => {
    const lines: Line[] = [];
    const driver = await logNotifierDriver.create(contextWith(recordingLogger(lines)));
    await driver.notify({}, message, 'info', -1);
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line!.level).toBe('info');
    expect(line!.fields).toEqual({
      logger: 'oslo.messaging.notification.identity.user.created',
      priority: 'info',
      event_type: 'identity.user.created',
    });
    expect(JSON.parse(line!.message)).toEqual({
      ...message,
      payload: { user: 'alice', password: '***', nested: { auth_token: '***', note: 'password=***' } },
    });
    expect(line!.message).not.toContain('hunter2');
  });

  it('maps priorities to levels: audit -> warn, sample -> info, critical -> error, others by name, unknown -> warn', async () => {
    const lines: Line[] = [];
    const driver = await logNotifierDriver.create(contextWith(recordingLogger(lines)));
    const priorities = ['audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample', 'CRITICAL', 'custom'];
    for (const p of priorities) await driver.notify({}, message, p, -1);
    expect(lines.map((l) => [l.fields?.['priority'], l.level])).toEqual([
      ['audit', 'warn'],
      ['debug', 'debug'],
      ['info', 'info'],
      ['warn', 'warn'],
      ['error', 'error'],
      ['critical', 'error'],
      ['sample', 'info'],
      ['critical', 'error'],
      ['custom', 'warn'],
    ]);
    expect(DEFAULT_PRIORITY_LEVELS['warning']).toBe('warn');
  });

  it("takes a logger of its own, or a per-name logger factory, instead of the notifier's", async () => {
    const mine: Line[] = [];
    const notifiers: Line[] = [];
    await (
      await createLogNotifierDriver({ logger: recordingLogger(mine) }).create(contextWith(recordingLogger(notifiers)))
    ).notify({}, message, 'error', 0);
    expect(mine.map((l) => l.level)).toEqual(['error']);
    expect(notifiers).toEqual([]);

    const byName: Line[] = [];
    const names: string[] = [];
    const getLogger = (name: string) => {
      names.push(name);
      return recordingLogger(byName, name);
    };
    await (
      await createLogNotifierDriver({ logger: getLogger }).create(contextWith(silentLogger))
    ).notify({}, { ...message, event_type: 'compute.x' }, 'info', 0);
    expect(names).toEqual(['oslo.messaging.notification.compute.x']);
    expect(byName[0]!.name).toBe('oslo.messaging.notification.compute.x');
  });

  it('takes a line writer, with level overrides and another replacement for secrets', async () => {
    const written: Array<[string, NotificationLogRecord]> = [];
    const plugin = createLogNotifierDriver({
      write: (line, record) => void written.push([line, record]),
      levels: { audit: 'info' },
      secret: '<hidden>',
    });
    const driver = await plugin.create(contextWith(silentLogger));
    await driver.notify({}, message, 'audit', -1);
    const [[line, record]] = written as [[string, NotificationLogRecord]];
    expect(line.startsWith('INFO oslo.messaging.notification.identity.user.created: {')).toBe(true);
    expect(record.level).toBe('info');
    expect(JSON.parse(record.message).payload.password).toBe('<hidden>');
    expect(line.endsWith(record.message)).toBe(true);
  });

  it('awaits an async writer and lets its failure reach the caller', async () => {
    let done = false;
    const slow = new LogNotifierDriver({
      logger: silentLogger,
      write: async () => {
        await new Promise((r) => setTimeout(r, 5));
        done = true;
      },
    });
    await slow.notify({}, message, 'info');
    expect(done).toBe(true);
    const failing = new LogNotifierDriver({
      logger: silentLogger,
      write: () => Promise.reject(new Error('disk full')),
    });
    await expect(failing.notify({}, message, 'info')).rejects.toThrow('disk full');
  });

  it('logs payloads JSON cannot take directly (bigint) and cycles', async () => {
    const cyclic: Record<string, unknown> = { big: 10n };
    cyclic['me'] = cyclic;
    const record = new LogNotifierDriver({ logger: silentLogger }).toRecord({ ...message, payload: cyclic }, 'info');
    expect(JSON.parse(record.message).payload).toEqual({ big: '10', me: '[Circular]' });
  });
});

describe('log notifier driver end to end through Notifier', () => {
  it("logs what the notifier emits, through the notifier's logger", async () => {
    const lines: Line[] = [];
    const registry = new PluginRegistry();
    registry.register(ENTRY_POINT_GROUPS.notifyDrivers, 'log', logNotifierDriver);
    const notifier = new Notifier(undefined, {
      driver: 'log',
      plugins: registry,
      logger: recordingLogger(lines),
      publisherId: 'identity.host1',
    });
    await notifier.audit({ user_id: 'u', auth_token: 'abc' }, 'identity.authenticate', {
      password: 'pw',
      outcome: 'success',
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('warn');
    expect(lines[0]!.fields?.['logger']).toBe('oslo.messaging.notification.identity.authenticate');
    const logged = JSON.parse(lines[0]!.message) as Record<string, unknown>;
    expect(logged).toMatchObject({
      publisher_id: 'identity.host1',
      event_type: 'identity.authenticate',
      priority: 'AUDIT',
      payload: { password: '***', outcome: 'success' },
    });
  });

  it('a registered createLogNotifierDriver({ write }) gets the lines; a failing writer is logged by the notifier, not thrown', async () => {
    const written: string[] = [];
    const notifierLines: Line[] = [];
    const registry = new PluginRegistry();
    registry.register(
      ENTRY_POINT_GROUPS.notifyDrivers,
      'log',
      createLogNotifierDriver({ write: (line) => void written.push(line) }),
    );
    registry.register(
      ENTRY_POINT_GROUPS.notifyDrivers,
      'broken-log',
      createLogNotifierDriver({
        name: 'broken-log',
        write: () => {
          throw new Error('stdout closed');
        },
      }),
    );
    const notifier = new Notifier(undefined, {
      driver: ['log', 'broken-log'],
      plugins: registry,
      logger: recordingLogger(notifierLines),
    });
    await notifier.sample({}, 'metering.cpu', { volume: 0.5 });
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^INFO oslo\.messaging\.notification\.metering\.cpu: \{.*"priority":"SAMPLE"/);
    expect(notifierLines.filter((l) => l.level === 'error').map((l) => [l.message, l.fields?.['driver']])).toEqual([
      ["Problem 'stdout closed' attempting to send to notification system", 'broken-log'],
    ]);
  });
});
