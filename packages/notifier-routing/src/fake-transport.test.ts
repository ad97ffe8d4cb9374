import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Notifier,
  PluginRegistry,
  getNotificationListener,
  getNotificationTransport,
  silentLogger,
  type LogFields,
  type Logger,
  type NotificationServer,
  type Transport,
} from '@oslo-messaging/core';
import { ENTRY_POINT_GROUPS } from '@oslo-messaging/core/spi';
import { routingNotifierDriver } from './index.js';

// The whole path with real plugins: routes from `[oslo_messaging_notifications] routing_config`,
// target drivers `messagingv2` and `messaging` found by discovery (the repository root declares
// @oslo-messaging/notifier-messaging), published over `fake://` and read by a notification listener.
// Upstream's routing driver cannot do this (its sub-drivers get no transport).

let dir: string;
const open: Transport[] = [];
const servers: NotificationServer[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'routing-e2e-'));
});
afterEach(async () => {
  for (const s of servers.splice(0)) {
    await s.stop();
    await s.wait();
  }
  await Promise.all(open.splice(0).map((t) => t.cleanup()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const unique = () => Math.random().toString(36).slice(2, 10);

async function until(done: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !done(); waited += 5) {
    if (waited > 5000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function errorLogger(errors: string[]): Logger {
  return { ...silentLogger, error: (m: string, f?: LogFields) => void errors.push(`${m} ${JSON.stringify(f)}`) };
}

describe('routing over fake:// with discovered messaging drivers', () => {
  it("routes by priority and event type to messagingv2 and messaging, which publish through the notifier's transport", async () => {
    const file = join(dir, `routing-${unique()}.yaml`);
    await writeFile(
      file,
      [
        'alerts:',
        '  messagingv2: {accepted_priorities: [ERROR, critical]}',
        'compute:',
        '  messaging: {accepted_events: ["compute.instance.*"]}',
        '',
      ].join('\n'),
    );
    const topic = `routed_${unique()}`;
    const transport = await getNotificationTransport({
      url: `fake:///routing-${unique()}`,
      logger: silentLogger,
      config: { oslo_messaging_notifications: { driver: 'routing', topics: [topic], routing_config: file } },
    });
    open.push(transport);

    const received: Array<[string, string]> = [];
    const record = (priority: string) => (_ctxt: unknown, _publisher: string, eventType: string) =>
      void received.push([priority, eventType]);
    const server = getNotificationListener(
      transport,
      [{ topic }],
      [{ info: record('info'), error: record('error'), critical: record('critical') }],
    );
    servers.push(server);
    await server.start();

    const registry = new PluginRegistry();
    registry.register(ENTRY_POINT_GROUPS.notifyDrivers, 'routing', routingNotifierDriver);
    const errors: string[] = [];
    const notifier = new Notifier(transport, {
      plugins: registry,
      publisherId: 'compute.host1',
      logger: errorLogger(errors),
    });
    await notifier.info({}, 'compute.instance.create.end', {}); // compute group -> messaging
    await notifier.error({}, 'image.upload.error', {}); // alerts group -> messagingv2
    await notifier.critical({}, 'compute.instance.crash', {}); // both groups -> both drivers
    await notifier.info({}, 'image.upload.end', {}); // no route

    await until(() => received.length >= 4, 'four routed notifications');
    await new Promise((r) => setTimeout(r, 50)); // nothing more should trickle in
    expect(errors).toEqual([]);
    expect(received.sort()).toEqual([
      ['critical', 'compute.instance.crash'],
      ['critical', 'compute.instance.crash'],
      ['error', 'image.upload.error'],
      ['info', 'compute.instance.create.end'],
    ]);
    const drivers = await notifier.loadDrivers();
    expect(drivers.map((d) => d.name)).toEqual(['routing']);
  });

  it('a routing_config with bad YAML makes the notifier log a ConfigurationError naming the file, and send nothing', async () => {
    const file = join(dir, `bad-${unique()}.yaml`);
    await writeFile(file, 'alerts:\n  messagingv2: {accepted_priorities: [error\n');
    const transport = await getNotificationTransport({
      url: `fake:///routing-${unique()}`,
      logger: silentLogger,
      config: { oslo_messaging_notifications: { driver: 'routing', routing_config: file } },
    });
    open.push(transport);
    const registry = new PluginRegistry();
    registry.register(ENTRY_POINT_GROUPS.notifyDrivers, 'routing', routingNotifierDriver);
    const errors: string[] = [];
    const notifier = new Notifier(transport, { plugins: registry, logger: errorLogger(errors) });
    await expect(notifier.error({}, 'x', {})).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('Failed to load notification drivers');
    await expect(notifier.loadDrivers()).rejects.toThrow(
      new RegExp(`Invalid routing_config ${file.replace(/[/.]/g, '\\$&')}: not valid YAML`),
    );
  });
});
