import { describe, expect, it } from 'vitest';
import type { IncomingMessageInit, Reply } from '../spi/driver.js';
import { buildIncomingMessage } from './incoming.js';

describe('DriverContext.incoming (buildIncomingMessage)', () => {
  it('what the driver leaves out does nothing; clientTimeout defaults to null', async () => {
    const m = buildIncomingMessage({ ctxt: { a: 1 }, message: { method: 'x' } });
    expect([m.ctxt, m.message, m.clientTimeout]).toEqual([{ a: 1 }, { method: 'x' }, null]);
    await expect(Promise.all([m.reply({ result: 1 }), m.heartbeat(), m.acknowledge(), m.requeue()])).resolves.toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("calls the init's functions as its methods (a driver may pass one class instance per message)", async () => {
    class Init implements IncomingMessageInit {
      readonly ctxt = {};
      readonly message = {};
      readonly clientTimeout = 30;
      readonly seen: string[] = [];
      reply(r: Reply): Promise<void> {
        this.seen.push(`reply ${String(r.result)}`);
        return Promise.resolve();
      }
      heartbeat(): Promise<void> {
        this.seen.push('heartbeat');
        return Promise.resolve();
      }
      acknowledge(): void {
        this.seen.push('ack');
      }
      requeue(): void {
        this.seen.push('requeue');
      }
    }
    const init = new Init();
    const m = buildIncomingMessage(init);
    await m.reply({ result: 7 });
    await m.heartbeat();
    await m.acknowledge();
    await m.requeue();
    expect(init.seen).toEqual(['reply 7', 'heartbeat', 'ack', 'requeue']);
    expect(m.clientTimeout).toBe(30);
  });

  it('a settle function that throws synchronously becomes a rejection, never a throw', async () => {
    const m = buildIncomingMessage({
      ctxt: {},
      message: {},
      acknowledge: () => {
        throw new Error('channel gone');
      },
    });
    let sync: unknown;
    let settled: Promise<void> | undefined;
    try {
      settled = m.acknowledge();
    } catch (err) {
      sync = err;
    }
    expect(sync).toBeUndefined();
    await expect(settled).rejects.toThrow('channel gone');
  });
});
