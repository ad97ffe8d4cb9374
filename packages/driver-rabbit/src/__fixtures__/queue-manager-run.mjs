// One run of a service with use_queue_manager: serve a topic, make a call, print the queue names the
// broker got, clean up. Run twice in new process groups, it must find the same names again.
import { getRpcClient, getRpcServer, getRpcTransport, silentLogger } from '@oslo-messaging/core';

const [url, topic, processname] = process.argv.slice(2);
const t = await getRpcTransport({
  url,
  logger: silentLogger,
  driverOptions: { use_queue_manager: true, hostname: 'restart-host', processname },
});
const s = getRpcServer(t, { topic, server: 's' }, [{ ping: () => 'pong' }]);
await s.start();
const answer = await getRpcClient(t, { topic }, { timeout: 10 }).call({}, 'ping');
process.stdout.write(`${JSON.stringify({ answer })}\n`);
await s.stop();
await s.wait();
await t.cleanup();
