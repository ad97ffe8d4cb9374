// A ZeroMQ RPC server in its own process, for tests that kill or restart it.
// Usage: node zmq-server.mjs <url> <topic> <server>. Prints "ready <address>" once registered;
// SIGTERM stops it gracefully (unregistering), SIGKILL leaves its matchmaker entry behind.
import { getRpcServer, getRpcTransport, silentLogger } from '@oslo-messaging/core';

const [url, topic, server] = process.argv.slice(2);
const transport = await getRpcTransport({ url, logger: silentLogger });
const rpc = getRpcServer(transport, { topic, server }, [{
  whoami: () => ({ server, pid: process.pid }),
  slow: async (_ctxt, { ms }) => (await new Promise((r) => setTimeout(r, ms)), 'done'),
  note: (_ctxt, { v }) => void process.stdout.write(`note ${v}\n`),
}]);
await rpc.start();
process.stdout.write(`ready ${await transport.driver.serverAddress()}\n`);
process.on('SIGTERM', async () => {
  await rpc.stop();
  await rpc.wait();
  await transport.cleanup();
  process.exit(0);
});
