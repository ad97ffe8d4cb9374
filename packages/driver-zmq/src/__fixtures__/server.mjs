// A ZeroMQ RPC server in its own process, for tests that kill, stop or restart it. Runs under the
// testkit fault harness (Node's defaults: an unhandled rejection kills it and the test sees it).
// Usage: node server.mjs <url> <topic> <server>. Reports `ready {address, pid}` once registered;
// SIGTERM stops it gracefully (unregistering) and it must then exit by itself; SIGKILL leaves its
// matchmaker entry behind. OSLO_ZMQ_DRIVER_MODULE / OSLO_ZMQ_REDIS_MODULE: see client.mjs.
import { pathToFileURL } from 'node:url';
import { createConsoleLogger, getRpcServer, getRpcTransport, registerPlugin } from '@oslo-messaging/core';
import { ENTRY_POINT_GROUPS } from '@oslo-messaging/core/spi';
import { report, sleep } from '@oslo-messaging/testkit/scenario';

const [url, topic, server] = process.argv.slice(2);
if (process.env.OSLO_ZMQ_DRIVER_MODULE)
  registerPlugin(
    ENTRY_POINT_GROUPS.drivers,
    'zmq',
    (await import(pathToFileURL(process.env.OSLO_ZMQ_DRIVER_MODULE).href)).zmqDriver,
  );
if (process.env.OSLO_ZMQ_REDIS_MODULE)
  registerPlugin(
    ENTRY_POINT_GROUPS.matchmakers,
    'redis',
    (await import(pathToFileURL(process.env.OSLO_ZMQ_REDIS_MODULE).href)).redisMatchmaker,
  );
const logger = createConsoleLogger(process.env.OSLO_SCENARIO_LOG ?? 'warn', `server ${server}`);
const transport = await getRpcTransport({ url, logger });
let served = 0;
const rpc = getRpcServer(transport, { topic, server }, [
  {
    whoami: () => ({ server, pid: process.pid, served: ++served }),
    slow: async (_ctxt, { ms }) => (await sleep(ms), 'done'),
    note: (_ctxt, { v }) => report('note', { v }),
  },
]);
await rpc.start();
report('ready', { address: await transport.driver.serverAddress(), pid: process.pid });
process.on('SIGTERM', async () => {
  await rpc.stop();
  await rpc.wait();
  await transport.cleanup();
  report('stopped', { served });
  // Nothing may keep the process alive after cleanup.
  setTimeout(() => (report('hung'), process.exit(3)), 10_000).unref();
});
