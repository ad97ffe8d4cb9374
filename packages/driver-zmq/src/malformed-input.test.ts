// Broken peers on both sides: garbage sent to a server, garbage replies sent to a client. Neither
// crashes the process, the server tells the sender (NACK) when it can, and both keep working.
import { Dealer, Router } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { getRpcClient, getRpcServer, getRpcTransport, MessagingTimeout, type Logger, type MessageHandlingServer, type Transport } from '@oslo-messaging/core';
import { PROTOCOL_VERSION } from './frames.js';
import type { ZmqDriver } from './driver.js';

const URL_ = 'zmq://?rpc_zmq_bind_address=127.0.0.1&rpc_ack_timeout_base=1';
const open: Array<Transport | MessageHandlingServer | Dealer | Router> = [];
const unhandled: unknown[] = [];
process.on('unhandledRejection', (e) => void unhandled.push(e));

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const rec = (m: string) => void lines.push(m);
  return { lines, debug: rec, info: rec, warn: rec, error: rec };
}

afterEach(async () => {
  for (const o of open.splice(0).reverse()) {
    if (o instanceof Dealer || o instanceof Router) o.close();
    else if ('cleanup' in o) await o.cleanup();
    else (await o.stop(), await o.wait());
  }
  expect(unhandled).toEqual([]);
});

const ctx = JSON.stringify({ request: { method: 'ping', args: {} }, context: {} });
const GARBAGE: Array<[string, string[]]> = [
  ['a wrong protocol version', ['oz/9', '2', 'id1', 'topic', '', ctx]],
  ['too few frames', [PROTOCOL_VERSION, '2', 'id2']],
  ['an unknown message type', [PROTOCOL_VERSION, '9', 'id3', 'topic', '', ctx]],
  ['a payload that is not JSON', [PROTOCOL_VERSION, '2', 'id4', 'topic', '', '{nope']],
  ['a payload without a request', [PROTOCOL_VERSION, '2', 'id5', 'topic', '', '{"context": {}}']],
  ['an RPC request without a method', [PROTOCOL_VERSION, '2', 'id6', 'topic', '', '{"request": {"args": {}}, "context": {}}']],
  ['an empty message id', [PROTOCOL_VERSION, '2', '', 'topic', '', ctx]],
];

describe('zmq: malformed frames', () => {
  it('a server drops malformed requests, refuses them with a NACK, and keeps serving', async () => {
    const logger = recordingLogger();
    const t = await getRpcTransport({ url: URL_, logger });
    open.push(t);
    const topic = `garbage_${Date.now()}`;
    const server = getRpcServer(t, { topic, server: 's' }, [{ ping: () => 'pong' }]);
    await server.start();
    open.push(server);
    const address = await (t.driver as ZmqDriver).serverAddress();

    const raw = new Dealer({ receiveTimeout: 2000 });
    open.push(raw);
    raw.connect(`tcp://${address}`);
    for (const [what, frames] of GARBAGE) {
      await raw.send(frames.map((f) => f.replace('topic', topic)));
      if (frames[2]) {
        const [version, type, id, reason] = await raw.receive();
        expect([version?.toString(), type?.toString(), id?.toString()], what).toEqual([PROTOCOL_VERSION, '8', frames[2]]);
        expect(reason?.toString(), what).toMatch(/^malformed: /);
      }
    }
    await expect.poll(() => logger.lines.filter((l) => l.includes('malformed')).length).toBe(GARBAGE.length);
    expect(await getRpcClient(t, { topic }, { timeout: 5 }).call({}, 'ping')).toBe('pong');
  });

  it('a client drops garbage replies and times out cleanly', async () => {
    const fake = new Router();
    open.push(fake);
    await fake.bind('tcp://127.0.0.1:*');
    const port = /:(\d+)$/.exec(fake.lastEndpoint!)![1]!;
    const logger = recordingLogger();
    const t = await getRpcTransport({ url: `zmq+static:///?rpc_zmq_bind_address=127.0.0.1&ringfile=${encodeURIComponent(await ringFile(port))}`, logger });
    open.push(t);
    // The fake server acknowledges, then answers with every kind of garbage.
    void (async () => {
      for await (const [identity, , , msgId] of fake) {
        const id = msgId!.toString();
        for (const frames of [[PROTOCOL_VERSION, '6', id], ['bogus'], [PROTOCOL_VERSION, '5', id, '{not json'], [PROTOCOL_VERSION, '5', id, '[1,2]'], [PROTOCOL_VERSION, '0', id], ['oz/0', '5', id, '{"response": 1}']]) {
          await fake.send([identity!, ...frames]);
        }
      }
    })().catch(() => undefined);
    const err = await getRpcClient(t, { topic: 'anything' }, { timeout: 1 }).call({}, 'ping').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MessagingTimeout);
    expect(logger.lines.filter((l) => l.startsWith('Dropping a malformed message')).length).toBe(5);
  });
});

async function ringFile(port: string): Promise<string> {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const file = join(mkdtempSync(join(tmpdir(), 'oslo-zmq-')), 'ring.json');
  writeFileSync(file, JSON.stringify({ anything: [`127.0.0.1:${port}`] }));
  return file;
}
