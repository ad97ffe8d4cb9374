import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  MessageDeliveryFailure,
  Notifier,
  PluginRegistry,
  silentLogger,
  type LogFields,
  type Logger,
} from '@oslo-messaging/core';
import {
  ENTRY_POINT_GROUPS,
  defineNotifierDriver,
  readBrand,
  type NotificationMessage,
  type NotifierDriver,
  type NotifierDriverContext,
} from '@oslo-messaging/core/spi';
import { RoutingNotifierDriver, createRoutingNotifierDriver, routingNotifierDriver } from './index.js';

interface Received {
  driver: string;
  eventType: unknown;
  priority: string;
  retry: number | null | undefined;
}

/** An in-test notifier driver plugin recording what it gets, and the context it was made with. */
function recordingPlugin(name: string, received: Received[], contexts: NotifierDriverContext[] = [], fail = false) {
  return defineNotifierDriver({
    name,
    create: (context) => {
      contexts.push(context);
      return {
        async notify(_ctxt, message: NotificationMessage, priority, retry) {
          if (fail) throw new Error(`${name} is down`);
          received.push({ driver: name, eventType: message['event_type'], priority, retry });
        },
      };
    },
  });
}

function recordingLogger(): Logger & { lines: Array<[string, string, LogFields | undefined]> } {
  const lines: Array<[string, string, LogFields | undefined]> = [];
  const at = (level: string) => (message: string, fields?: LogFields) => void lines.push([level, message, fields]);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function contextWith(
  loadDriver: (name: string) => Promise<NotifierDriver>,
  settings: Record<string, unknown> = {},
  logger: Logger = silentLogger,
): NotifierDriverContext {
  return { transport: undefined, topics: ['notifications'], settings, logger, loadDriver };
}

const msg = (eventType: string, priority = 'INFO'): NotificationMessage => ({
  message_id: 'm',
  publisher_id: 'p',
  event_type: eventType,
  priority,
  payload: {},
  timestamp: 't',
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'routing-driver-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('routing notifier driver', () => {
  it('is branded for the notify drivers group under the name routing', () => {
    expect(readBrand(routingNotifierDriver)?.group).toBe(ENTRY_POINT_GROUPS.notifyDrivers);
    expect(routingNotifierDriver.name).toBe('routing');
    expect(createRoutingNotifierDriver({ name: 'router2' }).name).toBe('router2');
  });

  it('sends each notification to the selected drivers only, passing priority and retry through', async () => {
    const received: Received[] = [];
    const plugins = { a: recordingPlugin('a', received), b: recordingPlugin('b', received) };
    const driver = await createRoutingNotifierDriver({
      config: {
        g1: { a: { accepted_priorities: ['error', 'critical'] } },
        g2: { b: { accepted_events: ['compute.*'] } },
      },
    }).create(
      contextWith(async (name) =>
        plugins[name as 'a' | 'b'].create(
          contextWith(async () => {
            throw new Error('x');
          }),
        ),
      ),
    );
    await driver.notify({}, msg('compute.create'), 'info', 5);
    await driver.notify({}, msg('image.update', 'ERROR'), 'error', null);
    await driver.notify({}, msg('compute.fail', 'CRITICAL'), 'critical', -1);
    await driver.notify({}, msg('image.update'), 'info', -1);
    expect(received).toEqual([
      { driver: 'b', eventType: 'compute.create', priority: 'info', retry: 5 },
      { driver: 'a', eventType: 'image.update', priority: 'error', retry: null },
      { driver: 'a', eventType: 'compute.fail', priority: 'critical', retry: -1 },
      { driver: 'b', eventType: 'compute.fail', priority: 'critical', retry: -1 },
    ]);
  });

  it('loads each target driver once, lazily, and only when first selected', async () => {
    const loads: string[] = [];
    const received: Received[] = [];
    const driver = await createRoutingNotifierDriver({
      config: 'g: {a: {accepted_events: [a.*]}, b: {accepted_events: [b.*]}}',
    }).create(
      contextWith(async (name) => {
        loads.push(name);
        return recordingPlugin(name, received).create(
          contextWith(async () => {
            throw new Error('x');
          }),
        );
      }),
    );
    expect(loads).toEqual([]);
    await Promise.all([driver.notify({}, msg('a.1'), 'info', 0), driver.notify({}, msg('a.2'), 'info', 0)]);
    await driver.notify({}, msg('a.3'), 'info', 0);
    expect(loads).toEqual(['a']);
    await driver.notify({}, msg('b.1'), 'info', 0);
    expect(loads).toEqual(['a', 'b']);
    expect(received.map((r) => r.eventType)).toEqual(['a.1', 'a.2', 'a.3', 'b.1']);
  });

  it('reports a failing target as MessageDeliveryFailure after the others got the notification, and retries a failed load later', async () => {
    const received: Received[] = [];
    let attempts = 0;
    const driver = await createRoutingNotifierDriver({
      config: { g: { good: null, down: null, missing: null } },
    }).create(
      contextWith(async (name) => {
        if (name === 'missing') {
          attempts += 1;
          throw new ConfigurationError('no such driver');
        }
        return recordingPlugin(name, received, [], name === 'down').create(
          contextWith(async () => {
            throw new Error('x');
          }),
        );
      }),
    );
    const err = (await driver.notify({}, msg('e'), 'info', 0).catch((e: unknown) => e)) as Error;
    expect(received.map((r) => r.driver)).toEqual(['good']);
    expect(err).toBeInstanceOf(MessageDeliveryFailure);
    expect(err.message).toBe(
      "Routing 'e' notification failed for driver 'down': down is down; 'missing': no such driver",
    );
    expect(err.cause).toBeInstanceOf(AggregateError);
    await driver.notify({}, msg('e'), 'info', 0).catch(() => undefined);
    expect(attempts).toBe(2);
  });

  it('reads routing_config from the notifier settings; a file option wins over settings', async () => {
    const fromSettings = join(dir, 'settings.yaml');
    const fromOption = join(dir, 'option.yaml');
    await writeFile(fromSettings, 'g: {settings_driver: {}}\n');
    await writeFile(fromOption, 'g: {option_driver: {}}\n');
    const load = async () => ({ async notify() {} });
    const a = (await routingNotifierDriver.create(
      contextWith(load, { routing_config: fromSettings }),
    )) as RoutingNotifierDriver;
    expect(a.driversFor('x', 'info')).toEqual(['settings_driver']);
    const b = (await createRoutingNotifierDriver({ file: fromOption }).create(
      contextWith(load, { routing_config: fromSettings }),
    )) as RoutingNotifierDriver;
    expect(b.driversFor('x', 'info')).toEqual(['option_driver']);
  });

  it('without routes it warns once and drops everything; warnings from the file are logged', async () => {
    const logger = recordingLogger();
    const driver = (await routingNotifierDriver.create(
      contextWith(
        async () => {
          throw new Error('must not load');
        },
        {},
        logger,
      ),
    )) as RoutingNotifierDriver;
    await driver.notify({}, msg('e'), 'info', 0);
    expect(logger.lines.filter(([l]) => l === 'warn').map(([, m]) => m)).toEqual([
      'The routing notification driver has no routing_config: every notification is dropped',
    ]);

    const withWarnings = recordingLogger();
    await createRoutingNotifierDriver({ config: 'g: {routing: {}, log: {}}' }).create(
      contextWith(async () => ({ async notify() {} }), {}, withWarnings),
    );
    expect(withWarnings.lines.filter(([l]) => l === 'warn').map(([, m]) => m)).toEqual([
      expect.stringMatching(/routes to the routing driver itself/),
    ]);
  });

  it('fails to load with a ConfigurationError for bad YAML, a missing file, both config and file, or a non-string setting', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'group: {log: [unclosed\n');
    const load = async () => ({ async notify() {} });
    const attempts = [
      () => routingNotifierDriver.create(contextWith(load, { routing_config: bad })),
      () => routingNotifierDriver.create(contextWith(load, { routing_config: join(dir, 'nope.yaml') })),
      () => createRoutingNotifierDriver({ config: {}, file: bad }).create(contextWith(load)),
      () => routingNotifierDriver.create(contextWith(load, { routing_config: 42 })),
    ];
    const messages: string[] = [];
    for (const attempt of attempts) {
      const err = (await Promise.resolve()
        .then(attempt)
        .catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(ConfigurationError);
      messages.push(err.message);
    }
    expect(messages[0]).toMatch(/^Invalid routing_config .*bad\.yaml: not valid YAML: .*line \d+, column \d+/s);
    expect(messages[1]).toMatch(/Cannot read the notification routing_config file .*nope\.yaml/);
    expect(messages[2]).toBe('createRoutingNotifierDriver takes either config or file, not both');
    expect(messages[3]).toMatch(/routing_config must be a file path/);
  });
});

describe('routing notifier driver end to end through Notifier', () => {
  it("routes through drivers the notifier loads, each given the notifier's full context", async () => {
    const received: Received[] = [];
    const contexts: NotifierDriverContext[] = [];
    const registry = new PluginRegistry();
    registry.register(
      ENTRY_POINT_GROUPS.notifyDrivers,
      'routing',
      createRoutingNotifierDriver({
        config: {
          errors: { pager: { accepted_priorities: ['error', 'critical'] } },
          compute: { archive: { accepted_events: ['compute.*'] } },
        },
      }),
    );
    registry.register(ENTRY_POINT_GROUPS.notifyDrivers, 'pager', recordingPlugin('pager', received, contexts));
    registry.register(ENTRY_POINT_GROUPS.notifyDrivers, 'archive', recordingPlugin('archive', received, contexts));
    const logger = recordingLogger();
    const notifier = new Notifier(undefined, {
      driver: 'routing',
      plugins: registry,
      logger,
      topics: ['ops'],
      retry: 1,
    });
    await notifier.info({}, 'compute.instance.create.end', {});
    await notifier.error({}, 'image.upload.error', {});
    await notifier.critical({}, 'compute.host.down', {});
    expect(received.map((r) => [r.driver, r.eventType, r.priority, r.retry])).toEqual([
      ['archive', 'compute.instance.create.end', 'info', 1],
      ['pager', 'image.upload.error', 'error', 1],
      ['pager', 'compute.host.down', 'critical', 1],
      ['archive', 'compute.host.down', 'critical', 1],
    ]);
    expect(contexts.map((c) => [c.topics, typeof c.loadDriver, c.logger])).toEqual([
      [['ops'], 'function', logger],
      [['ops'], 'function', logger],
    ]);
    expect(logger.lines.filter(([l]) => l === 'error')).toEqual([]);
  });

  it('a target that fails is logged by the notifier, never thrown', async () => {
    const registry = new PluginRegistry();
    registry.register(
      ENTRY_POINT_GROUPS.notifyDrivers,
      'routing',
      createRoutingNotifierDriver({ config: { g: { broken: null } } }),
    );
    registry.register(ENTRY_POINT_GROUPS.notifyDrivers, 'broken', recordingPlugin('broken', [], [], true));
    const logger = recordingLogger();
    const notifier = new Notifier(undefined, { driver: 'routing', plugins: registry, logger });
    await expect(notifier.warn({}, 'e', {})).resolves.toBeUndefined();
    expect(logger.lines.filter(([l]) => l === 'error').map(([, m, f]) => [m, f?.['driver']])).toEqual([
      [
        "Problem 'Routing 'e' notification failed for driver 'broken': broken is down' attempting to send to notification system",
        'routing',
      ],
    ]);
  });
});
