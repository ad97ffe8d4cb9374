#!/usr/bin/env node
// The repository demo's scenarios (scripts/demo.mjs) on NATS: call, cast, fanout, server targeting, remote
// errors, notifications with pools; then what JetStream adds: a cast and a notification sent while their
// consumer is down are delivered when it comes back. Needs NATS with JetStream on 127.0.0.1:4222
// (override with NATS_URL). Core finds the `nats` driver in this package's own package.json.
import {
  getNotificationListener,
  getNotificationTransport,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  Notifier,
  RemoteError,
  expectedExceptions,
  setDefaultLogger,
  createConsoleLogger,
  PythonErrors,
} from '@oslo-messaging/core';

setDefaultLogger(createConsoleLogger(process.env.OSLO_MESSAGING_LOG_LEVEL ?? 'silent'));

// A virtual host of its own per run (a subject prefix); its durable consumers expire a minute after the demo.
const url = `${process.env.NATS_URL ?? 'nats://127.0.0.1:4222'}/demo-${process.pid}?nats_consumer_inactive_threshold=60`;
const say = (who, msg) => console.log(`${who.padEnd(10)} ${msg}`);
const until = async (check, what) => {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

class ComputeAPI {
  target = { namespace: 'compute', version: '1.3' };
  constructor(host, log) {
    this.host = host;
    this.log = log;
  }
  ping(ctxt, { arg }) {
    this.log.push(`ping ${this.host}`);
    return { host: this.host, arg };
  }
  refresh_cache(_ctxt, { reason }) {
    this.log.push(`refresh_cache ${this.host}`);
    say(this.host, `refresh_cache (${reason})`);
  }
  resize = expectedExceptions(PythonErrors.ValueError)((_ctxt, { flavor }) => {
    throw new PythonErrors.ValueError(`flavor ${flavor} is too small`);
  });
}

const log = [];
const transport = await getRpcTransport({ url, controlExchange: 'nova' });
const servers = ['compute-1', 'compute-2'].map((host) =>
  getRpcServer(transport, { topic: 'compute', server: host }, [new ComputeAPI(host, log)]),
);
await Promise.all(servers.map((s) => s.start()));

const ctxt = { user_id: 'alice', project_id: 'demo', request_id: 'req-42' };
const client = getRpcClient(transport, { topic: 'compute', namespace: 'compute', version: '1.0' }, { timeout: 5 });

say('client', 'call ping on the topic (shared by both servers)');
for (const n of [1, 2])
  say('client', `  -> ${JSON.stringify((await client.call(ctxt, 'ping', { arg: n })).arg)} served`);

say('client', 'call ping on compute-2 only');
say(
  'client',
  `  -> ${JSON.stringify(await client.prepare({ server: 'compute-2' }).call(ctxt, 'ping', { arg: 'direct' }))}`,
);

say('client', 'cast refresh_cache with fanout (every server gets it)');
await client.prepare({ fanout: true }).cast(ctxt, 'refresh_cache', { reason: 'fanout' });
await until(() => log.filter((l) => l.startsWith('refresh_cache')).length === 2, 'both fanout casts');

say('client', 'cast refresh_cache to the topic (one server gets it)');
await client.cast(ctxt, 'refresh_cache', { reason: 'topic' });
await until(() => log.filter((l) => l.startsWith('refresh_cache')).length === 3, 'the topic cast');

say('client', 'call resize: the server raises ValueError');
try {
  await client.call(ctxt, 'resize', { flavor: 'm1.tiny' });
} catch (err) {
  say('client', `  -> ${err.name}: ${err.message}`);
}

say('client', 'call with version 2.0: no endpoint supports it');
try {
  await client.prepare({ version: '2.0' }).call(ctxt, 'ping', { arg: 0 });
} catch (err) {
  say('client', `  -> ${err instanceof RemoteError ? `RemoteError ${err.excType}: ${err.value}` : err.message}`);
}

// JetStream: the server process goes away; a cast sent meanwhile waits in its durable consumer.
say('client', 'compute-1 and compute-2 stop; cast refresh_cache to compute-1 while it is down');
await Promise.all(servers.map((s) => s.stop()));
await Promise.all(servers.map((s) => s.wait()));
await client.prepare({ server: 'compute-1' }).cast(ctxt, 'refresh_cache', { reason: 'sent while down' });
const restarted = getRpcServer(transport, { topic: 'compute', server: 'compute-1' }, [
  new ComputeAPI('compute-1', log),
]);
await restarted.start();
await until(() => log.filter((l) => l.startsWith('refresh_cache')).length === 4, 'the stored cast');
await restarted.stop();
await restarted.wait();
await transport.cleanup();

// Notifications: two pools each get a copy; within a pool, one listener handles each notification.
const ntransport = await getNotificationTransport({ url });
const received = [];
const listenerFor = (pool, i) =>
  getNotificationListener(
    ntransport,
    [{ topic: 'notifications' }],
    [
      {
        info(_ctxt, publisherId, eventType, payload) {
          received.push(pool);
          say(`${pool}#${i}`, `${eventType} from ${publisherId}: ${JSON.stringify(payload)}`);
        },
      },
    ],
    { pool },
  );
const listeners = ['billing', 'billing', 'audit'].map(listenerFor);
await Promise.all(listeners.map((l) => l.start()));
const notifier = new Notifier(ntransport, {
  publisherId: 'compute.host1',
  driver: 'messagingv2',
  topics: ['notifications'],
});
for (const id of ['i-1', 'i-2']) await notifier.info(ctxt, 'compute.instance.create.end', { instance_id: id });
await until(() => received.length === 4, 'four notification deliveries');

say('demo', 'the audit pool stops; a notification is sent while it is down');
await listeners[2].stop();
await listeners[2].wait();
await notifier.info(ctxt, 'compute.instance.delete.end', { instance_id: 'i-1' });
await until(() => received.length === 5, 'the billing delivery');
const audit = listenerFor('audit', 3);
await audit.start();
await until(() => received.length === 6, 'the stored audit delivery');

await Promise.all([listeners[0], listeners[1], audit].map((l) => l.stop()));
await Promise.all([listeners[0], listeners[1], audit].map((l) => l.wait()));
await ntransport.cleanup();
say(
  'demo',
  `done: ${received.filter((p) => p === 'billing').length} billing + ${received.filter((p) => p === 'audit').length} audit deliveries`,
);
