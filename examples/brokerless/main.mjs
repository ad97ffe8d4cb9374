#!/usr/bin/env node
// Brokerless RPC: two server processes and this client talk over ZeroMQ directly; they find each other in
// the Redis matchmaker (no broker in between). Needs Redis on 127.0.0.1:6379 (or TRANSPORT_URL).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { getRpcClient, getRpcTransport } from '@oslo-messaging/core';

// A topic of this run's own, so that servers of another run sharing the Redis never answer.
const topic = `compute-${process.pid}`;
const servers = ['host-a', 'host-b'].map((name) => {
  const proc = spawn(process.execPath, [fileURLToPath(new URL('./server.mjs', import.meta.url)), topic, name], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const ready = new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
    createInterface({ input: proc.stdout }).on('line', (line) => (line === 'ready' ? resolve() : console.log(line)));
  });
  return { name, proc, ready };
});
await Promise.all(servers.map((s) => s.ready));
console.log(`client: two server processes registered for ${topic}`);

const transport = await getRpcTransport({ url: process.env.TRANSPORT_URL ?? 'zmq+redis://127.0.0.1:6379/' });
const client = getRpcClient(transport, { topic }, { timeout: 10 });

// Calls to the topic go to either process.
const seen = new Set();
for (let i = 0; i < 20 && seen.size < 2; i++) seen.add((await client.call({}, 'whoami')).split(' ')[0]);
console.log(`client: calls to the topic were served by ${[...seen].sort().join(' and ')}`);
console.log(`client: add on host-b -> ${await client.prepare({ server: 'host-b' }).call({}, 'add', { a: 2, b: 40 })}`);
console.log(
  `client: whoami on host-a -> ${(await client.prepare({ server: 'host-a' }).call({}, 'whoami')).split(' ')[0]}`,
);
await client.prepare({ fanout: true }).cast({}, 'refresh', { reason: 'fanout' });
await new Promise((r) => setTimeout(r, 300)); // the servers print what they got

await transport.cleanup();
for (const s of servers) s.proc.stdin.end();
await Promise.all(servers.map((s) => once(s.proc, 'exit')));
console.log('client: done');
