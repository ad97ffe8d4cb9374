// A TCP proxy in front of the real RabbitMQ (127.0.0.1:5672) for staging what a broker or network does
// to a connection: freeze (accept, forward nothing) and cut.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** Forwards to RabbitMQ on 5672 until frozen; frozen, it accepts connections and says nothing. */
export class FreezingProxy {
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  frozen = false;
  accepted = 0;

  constructor() {
    this.server = createServer((client) => {
      this.accepted++;
      this.sockets.add(client);
      client.on('error', () => undefined);
      client.on('close', () => this.sockets.delete(client));
      if (this.frozen) return;
      const broker = createConnection({ host: '127.0.0.1', port: 5672 });
      this.sockets.add(broker);
      broker.on('error', () => client.destroy());
      broker.on('close', () => this.sockets.delete(broker));
      client.on('close', () => broker.destroy());
      broker.on('data', (d: Buffer) => void (this.frozen || client.write(d)));
      client.on('data', (d: Buffer) => void (this.frozen || broker.write(d)));
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as { port: number }).port;
  }

  /** Cuts every connection through the proxy (a broker gone without a word, or a network that dropped them). */
  cut(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}
