// Where one sequential call's time goes, step by step, for one side of the RabbitMQ scenario (not run by
// `npm run bench`):   node scripts/bench/_rabbit-trace.mjs <ours|raw|bare> [calls]
// Hooks amqplib's Channel.sendMessage (a publish leaves the JS side), dispatchMessage (a delivery
// reaches its consumer) and the confirm callbacks, and prints the median of each step of a call (µs):
//   client: call() -> request handed to amqplib   (core + driver: envelope, serialization, ids, waiter)
//   wire:   request sent -> server consumer        (socket write, broker routing, socket read, frame parse)
//   server: request delivered -> reply sent        (decode, dispatch, endpoint, reply encoding)
//   wire:   reply sent -> client consumer          (as above, for the reply)
//   client: reply delivered -> call() resolves     (decode, waiter, promise chain)
// and, apart, how long each publish waits for its confirm (it overlaps the steps above).
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { SIDES } from './_rabbit-setups.mjs';

const require = createRequire(import.meta.url);
const lib = join(dirname(require.resolve('amqplib')), 'lib');
const { Channel, BaseChannel } = require(join(lib, 'channel.js'));
const { ConfirmChannel } = require(join(lib, 'channel_model.js'));

const side = process.argv[2] ?? 'ours';
const calls = Number(process.argv[3] ?? 3000);
let trace;
const now = () => performance.now();
const sendMessage = Channel.prototype.sendMessage;
Channel.prototype.sendMessage = function (fields, properties, content) {
  if (trace)
    trace.push([
      fields.routingKey.startsWith('reply_') ||
      fields.routingKey.startsWith('amq.gen') ||
      fields.routingKey.startsWith('amq.rabbitmq')
        ? 'replySent'
        : 'requestSent',
      now(),
    ]);
  return sendMessage.call(this, fields, properties, content);
};
const dispatch = BaseChannel.prototype.dispatchMessage;
BaseChannel.prototype.dispatchMessage = function (fields, message) {
  if (trace)
    trace.push([
      message.properties.correlationId !== undefined &&
      message.fields.routingKey !== undefined &&
      (message.fields.routingKey.startsWith('amq.') || message.fields.routingKey.startsWith('reply_'))
        ? 'replyDelivered'
        : message.fields.routingKey.startsWith('reply_') || message.fields.routingKey.startsWith('amq.')
          ? 'replyDelivered'
          : 'requestDelivered',
      now(),
    ]);
  return dispatch.call(this, fields, message);
};
// The socket write (the syscall, after amqplib's mux and any corking).
const writeGeneric = Socket.prototype._writeGeneric;
Socket.prototype._writeGeneric = function (...args) {
  if (trace) trace.push(['write', now()]);
  return writeGeneric.apply(this, args);
};
const publish = ConfirmChannel.prototype.publish;
const confirms = { request: [], reply: [] };
ConfirmChannel.prototype.publish = function (exchange, routingKey, content, options, cb) {
  const t0 = now();
  const kind = exchange === '' ? 'reply' : 'request';
  return publish.call(this, exchange, routingKey, content, options, (err, ok) => {
    if (trace) confirms[kind].push(now() - t0);
    cb?.(err, ok);
  });
};

const s = await SIDES[side]();
for (let i = 0; i < 1000; i++) await s.call();
const steps = {
  'client: call() -> request sent': [],
  'wire: request sent -> delivered to server': [],
  'server: delivered -> reply sent': [],
  'wire: reply sent -> delivered to client': [],
  'client: reply delivered -> call() resolved': [],
  total: [],
};
const delays = { requestWritten: [], replyWritten: [] };
for (let i = 0; i < calls; i++) {
  trace = [['start', now()]];
  await s.call();
  trace.push(['end', now()]);
  const t = Object.fromEntries(trace.filter(([k]) => k !== 'write').reverse());
  // The first socket write after each publish.
  for (const [from, to] of [
    ['requestSent', 'requestWritten'],
    ['replySent', 'replyWritten'],
  ]) {
    const at = trace.findIndex(([k]) => k === from);
    const w = trace.slice(at).find(([k]) => k === 'write');
    if (at >= 0 && w) delays[to].push((w[1] - trace[at][1]) * 1000);
  }
  const order = ['start', 'requestSent', 'requestDelivered', 'replySent', 'replyDelivered', 'end'];
  if (order.every((k) => t[k] !== undefined)) {
    const names = Object.keys(steps);
    for (let j = 0; j < 5; j++) steps[names[j]].push((t[order[j + 1]] - t[order[j]]) * 1000);
    steps.total.push((t.end - t.start) * 1000);
  }
}
trace = undefined;
await new Promise((r) => setTimeout(r, 50));
const med = (a) => (a.length ? [...a].sort((x, y) => x - y)[a.length >> 1] : NaN);
const out = { side, calls, traced: steps.total.length };
for (const [k, v] of Object.entries(steps)) out[k] = +med(v).toFixed(0);
out['of the request wire: publish -> socket write'] = +med(delays.requestWritten).toFixed(0);
out['of the reply wire: publish -> socket write'] = +med(delays.replyWritten).toFixed(0);
out['confirm wait, request'] = +med(confirms.request.map((x) => x * 1000)).toFixed(0);
out['confirm wait, reply'] = +med(confirms.reply.map((x) => x * 1000)).toFixed(0);
await s.close();
console.log(JSON.stringify(out, null, 1));
process.exit(0);
