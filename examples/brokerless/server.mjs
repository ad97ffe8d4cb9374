#!/usr/bin/env node
// One RPC server process: `node server.mjs <topic> <server-name>`. Binds a ZeroMQ socket on a random port,
// announces itself in the Redis matchmaker, prints "ready", and stops when its standard input closes.
import { getRpcServer, getRpcTransport } from '@oslo-messaging/core';

const [topic, name] = process.argv.slice(2);
const transport = await getRpcTransport({ url: process.env.TRANSPORT_URL ?? 'zmq+redis://127.0.0.1:6379/' });
const server = getRpcServer(transport, { topic, server: name }, [
  {
    whoami: () => `${name} (pid ${process.pid})`,
    add: (_ctxt, { a, b }) => a + b,
    refresh: (_ctxt, { reason }) => console.log(`${name}: refresh (${reason})`),
  },
]);
await server.start();
console.log('ready');

process.stdin.resume();
process.stdin.on('end', async () => {
  await server.stop();
  await server.wait();
  await transport.cleanup(); // unregisters from the matchmaker
  process.exit(0);
});
