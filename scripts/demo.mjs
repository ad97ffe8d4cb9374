#!/usr/bin/env node
// The demo: an RPC server and a client doing call, cast and fanout, then a notifier and a
// listener pool, all on the in-memory driver (fake://). No broker needed. The driver, executor and
// notifier driver are found from this repo's package.json dependencies, as an application's would be.
import {
  getNotificationListener,
  getNotificationTransport,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  Notifier,
  RemoteError,
  listPlugins,
  expectedExceptions,
  setDefaultLogger,
  createConsoleLogger,
  PythonErrors,
} from '@oslo-messaging/core';
import { ENTRY_POINT_GROUPS } from '@oslo-messaging/core/spi';

// Servers log failed requests at ERROR, as oslo does; the demo shows them through the client
// instead. Run with OSLO_MESSAGING_LOG_LEVEL=debug to see the library's own log lines.
setDefaultLogger(createConsoleLogger(process.env.OSLO_MESSAGING_LOG_LEVEL ?? 'silent'));

const say = (who, msg) => console.log(`${who.padEnd(10)} ${msg}`);

class ComputeAPI {
  target = { namespace: 'compute', version: '1.3' };
  constructor(host) {
    this.host = host;
  }
  ping(ctxt, { arg }) {
    say(this.host, `ping(${JSON.stringify(arg)}) from user ${ctxt.user_id}`);
    return { host: this.host, arg };
  }
  refresh_cache(_ctxt, { reason }) {
    say(this.host, `refresh_cache (${reason})`);
  }
  // Declared as expected: logged at debug only; the caller still gets the ValueError.
  resize = expectedExceptions(PythonErrors.ValueError)((_ctxt, { flavor }) => {
    throw new PythonErrors.ValueError(`flavor ${flavor} is too small`);
  });
}

console.log(
  'installed drivers:',
  listPlugins(ENTRY_POINT_GROUPS.drivers)
    .map((p) => p.name)
    .join(', '),
);

const transport = await getRpcTransport({ url: 'fake://', controlExchange: 'nova' });
const servers = ['compute-1', 'compute-2'].map((host) =>
  getRpcServer(transport, { topic: 'compute', server: host }, [new ComputeAPI(host)], { executor: 'pool' }),
);
await Promise.all(servers.map((s) => s.start()));

const ctxt = { user_id: 'alice', project_id: 'demo', request_id: 'req-42' };
const client = getRpcClient(transport, { topic: 'compute', namespace: 'compute', version: '1.0' }, { timeout: 5 });

say('client', 'call ping on the topic (round-robin over both servers)');
for (const n of [1, 2]) say('client', `  -> ${JSON.stringify(await client.call(ctxt, 'ping', { arg: n }))}`);

say('client', 'call ping on compute-2 only');
say(
  'client',
  `  -> ${JSON.stringify(await client.prepare({ server: 'compute-2' }).call(ctxt, 'ping', { arg: 'direct' }))}`,
);

say('client', 'cast refresh_cache with fanout (every server gets it)');
await client.prepare({ fanout: true }).cast(ctxt, 'refresh_cache', { reason: 'demo' });
await new Promise((r) => setTimeout(r, 50));

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

await Promise.all(servers.map((s) => s.stop()));
await Promise.all(servers.map((s) => s.wait()));
await transport.cleanup();

// Notifications: two pools each get a copy; within a pool, one listener handles each notification.
const ntransport = await getNotificationTransport({ url: 'fake://' });
const received = [];
const listeners = ['billing', 'billing', 'audit'].map((pool, i) =>
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
  ),
);
await Promise.all(listeners.map((l) => l.start()));
const notifier = new Notifier(ntransport, {
  publisherId: 'compute.host1',
  driver: 'messagingv2',
  topics: ['notifications'],
});
for (const id of ['i-1', 'i-2']) await notifier.info(ctxt, 'compute.instance.create.end', { instance_id: id });
const deadline = Date.now() + 5000;
while (received.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
if (received.length < 4) throw new Error(`only ${received.length} of 4 notification deliveries arrived`);
await Promise.all(listeners.map((l) => l.stop()));
await Promise.all(listeners.map((l) => l.wait()));
await ntransport.cleanup();
say(
  'demo',
  `done: ${received.filter((p) => p === 'billing').length} billing + ${received.filter((p) => p === 'audit').length} audit deliveries`,
);
