// Broken peers on both sides: garbage sent to a server, garbage replies sent to a client. Neither
// crashes the process, the server tells the sender (NACK) when it can, and both keep working. (An
// unhandled rejection fails the run: vitest reports it; no process handler here hides one.)
import { Dealer, Router } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import {
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  MessagingTimeout,
  type Logger,
  type MessageHandlingServer,
  type Transport,
} from '@oslo-messaging/core';
import { PROTOCOL_VERSION } from './frames.js';
import type { ZmqDriver } from './driver.js';

const URL_ = 'zmq://?rpc_zmq_bind_address=127.0.0.1&rpc_ack_timeout_base=1';
const open: Array<Transport | MessageHandlingServer | Dealer | Router> = [];

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const rec = (m: string) => void lines.push(m);
  return { lines, debug: rec, info: rec, warn: rec, error: rec };
}

afterEach(async () => {
  for (const o of open.splice(0).reverse()) {
    if (o instanceof Dealer || o instanceof Router) o.close();
    else if ('cleanup' in o) await o.cleanup();
    else {
      await o.stop();
      await o.wait();
    }
  }
});

const body = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ topic: 'TOPIC', server: '', request: { method: 'ping', args: {} }, context: {}, ...extra });
const h = (type: string, id: string) => `${PROTOCOL_VERSION} ${type} ${id}`;
/** Each: what it is, the frames, and the message id the server can still read (it then answers NACK). */
const GARBAGE: Array<[string, string[], string | undefined]> = [
  ['a wrong protocol version', ['oz/9 2 id1', body()], undefined],
  ['a header without message id', [`${PROTOCOL_VERSION} 2`, body()], undefined],
  ['no payload frame', [h('2', 'id2')], 'id2'],
  ['an unknown message type', [h('9', 'id3'), body()], 'id3'],
  ['a payload that is not JSON', [h('2', 'id4'), '{nope'], 'id4'],
  ['a payload without a request', [h('2', 'id5'), JSON.stringify({ topic: 'TOPIC', server: '', context: {} })], 'id5'],
  ['an RPC request without a method', [h('2', 'id6'), body({ request: { args: {} } })], 'id6'],
  [
    'an unreadable frame after a message',
    [
      h('2', 'id7'),
      JSON.stringify({ topic: 'nobody-here', server: '', request: { method: 'ping', args: {} }, context: {} }),
      'extra',
    ],
    'id7',
  ],
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
    for (const [what, frames, id] of GARBAGE) {
      await raw.send(frames.map((f) => f.replace('TOPIC', topic)));
      if (id) {
        const [header, reason] = await raw.receive();
        expect(header?.toString(), what).toBe(h('8', id));
        expect(reason?.toString(), what).toMatch(id === 'id7' ? /^no endpoint for nobody-here/ : /^malformed: /);
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
    const t = await getRpcTransport({
      url: `zmq+static:///?rpc_zmq_bind_address=127.0.0.1&ringfile=${encodeURIComponent(await ringFile(port))}`,
      logger,
    });
    open.push(t);
    // The fake server acknowledges, then answers with every kind of garbage.
    void (async () => {
      for await (const [identity, header] of fake) {
        const id = header!.toString().split(' ')[2]!;
        for (const frames of [
          [h('6', id)],
          ['bogus'],
          [h('5', id), '{not json'],
          [h('5', id), '[1,2]'],
          [h('0', id)],
          [`oz/0 5 ${id}`, '{"response": 1}'],
        ]) {
          await fake.send([identity!, ...frames]);
        }
      }
    })().catch(() => undefined);
    const err = await getRpcClient(t, { topic: 'anything' }, { timeout: 1 })
      .call({}, 'ping')
      .catch((e: unknown) => e);
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
