import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDriverConformanceSuite } from '@oslo-messaging/testkit';

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Every topic of the suite is served by the one process the ring file names; servers bind that port.
const port = await freePort();
const ringfile = join(mkdtempSync(join(tmpdir(), 'oslo-zmq-ring-')), 'ring.json');
writeFileSync(ringfile, JSON.stringify({ '*': [`127.0.0.1:${port}`] }));

runDriverConformanceSuite({
  name: 'zmq (static matchmaker)',
  url: () =>
    `zmq+static:///?ringfile=${encodeURIComponent(ringfile)}&rpc_zmq_bind_address=127.0.0.1&rpc_zmq_bind_port=${port}&rpc_ack_timeout_base=2`,
  // The ring names one server port for this host: a second serving transport in the process cannot bind it.
  capabilities: { secondServingTransport: false },
});
