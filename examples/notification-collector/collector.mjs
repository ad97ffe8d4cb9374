#!/usr/bin/env node
// A ceilometer-style notification collector: a listener pool of two members sharing compute notifications
// (with a NotificationFilter), and a batch listener in its own pool, fed by a Python oslo.messaging Notifier.
// `npm start` here; needs RabbitMQ on 127.0.0.1:5672 (or TRANSPORT_URL) and python3 with oslo.messaging.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import {
  getBatchNotificationListener,
  getNotificationListener,
  getNotificationTransport,
  NotificationFilter,
} from '@oslo-messaging/core';

const url = process.env.TRANSPORT_URL ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const topic = process.env.NOTIFICATION_TOPIC ?? 'notifications';
const transport = await getNotificationTransport({ url });
const targets = [{ topic }];

// Pool "ceilometer": each notification goes to one of its members. The filter keeps compute.instance.* only.
const byMember = { 'collector-1': 0, 'collector-2': 0 };
const byEvent = {};
const member = (name) => {
  const record = (priority) => (_ctxt, publisherId, eventType, payload) => {
    byMember[name]++;
    byEvent[`${priority} ${eventType}`] = (byEvent[`${priority} ${eventType}`] ?? 0) + 1;
    if (priority === 'error') console.log(`${name}: ERROR ${eventType} from ${publisherId}: ${payload.message}`);
  };
  return getNotificationListener(
    transport,
    targets,
    [
      {
        filterRule: new NotificationFilter({ eventType: 'compute\\.instance\\..*', publisherId: '^compute\\.' }),
        info: record('info'),
        error: record('error'),
      },
    ],
    { pool: 'ceilometer' },
  );
};

// Pool "metering": a batch listener, handed up to 4 notifications at a time (or what arrived within 1 s).
const batches = [];
const metering = getBatchNotificationListener(
  transport,
  targets,
  [
    {
      info(messages) {
        batches.push(messages.length);
      },
    },
  ],
  { pool: 'metering', batchSize: 4, batchTimeout: 1 },
);

const listeners = [member('collector-1'), member('collector-2'), metering];
await Promise.all(listeners.map((l) => l.start()));
console.log(
  `listening on ${topic}.info and ${topic}.error: pool ceilometer (2 members, filtered), pool metering (batches of 4)`,
);

const python = spawn(
  process.env.PYTHON ?? '/usr/bin/python3',
  [fileURLToPath(new URL('./notifier.py', import.meta.url)), '--url', url, '--topic', topic],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
const [code] = await once(python, 'exit');
if (code !== 0) throw new Error(`notifier.py exited with ${code}`);

const deadline = Date.now() + 15_000;
const total = () => byMember['collector-1'] + byMember['collector-2'];
const batched = () => batches.reduce((a, b) => a + b, 0);
while ((total() < 8 || batched() < 8) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
await new Promise((r) => setTimeout(r, 300)); // nothing more should come

await Promise.all(listeners.map((l) => l.stop()));
await Promise.all(listeners.map((l) => l.wait()));
await transport.cleanup();

for (const key of Object.keys(byEvent).sort()) console.log(`ceilometer: ${key} x${byEvent[key]}`);
console.log(
  `ceilometer: ${total()} notifications handled (image.upload filtered out), shared by collector-1 (${byMember['collector-1']}) and collector-2 (${byMember['collector-2']})`,
);
console.log(`metering: ${batched()} info notifications in ${batches.length} batches (${batches.join(', ')})`);
