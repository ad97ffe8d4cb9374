import { afterEach, describe, expect, it } from 'vitest';
import type { ManagedConnection } from './connection.js';
import { GROW_AT, SendPool } from './send-pool.js';

/**
 * The part of a connection the pool and its publishers use, with a channel that records each publish
 * and confirms it when the test says (the broker's side is the integration test's).
 */
class RecordingConnection {
  readonly opts = { kombu_compression: '' };
  readonly generation = 1;
  readonly unconfirmed: Array<(err?: unknown) => void> = [];
  published = 0;
  readonly channel = {
    publish: (_exchange: string, _key: string, _body: Buffer, _props: unknown, confirm: (err?: unknown) => void) => {
      this.published++;
      this.unconfirmed.push(confirm);
      return true;
    },
  };
  onReturn(): void {}
  async close(): Promise<void> {}
  /** The broker confirms every publish so far. */
  confirmAll(): void {
    for (const confirm of this.unconfirmed.splice(0)) confirm();
  }
}

const pools: SendPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function pool(maxSize: number): { pool: SendPool; connections: RecordingConnection[] } {
  const connections: RecordingConnection[] = [];
  const p = new SendPool(
    () => {
      const c = new RecordingConnection();
      connections.push(c);
      return c as unknown as ManagedConnection;
    },
    maxSize,
    1,
    1200,
  );
  pools.push(p);
  return { pool: p, connections };
}

const publish = (p: SendPool, n: number) =>
  Array.from({ length: n }, (_, i) => p.publish('x', 'topic', Buffer.from(String(i)), {}));

describe('SendPool', () => {
  it('keeps to its first connection below the growth threshold, even with idle connections beside it', async () => {
    const { pool: p, connections } = pool(4);
    // A burst grows the pool: the first connection full, the next ones opened as each fills up.
    const burst = publish(p, GROW_AT * 2 + 10);
    expect(connections.length).toBe(3);
    expect(connections.map((c) => c.published)).toEqual([GROW_AT, GROW_AT, 10]);
    for (const c of connections) c.confirmAll();
    await Promise.all(burst);
    // Then a client sending a few at a time: all of them on the first connection (in order, one socket).
    for (let round = 0; round < 5; round++) {
      const sends = publish(p, 10);
      for (const c of connections) c.confirmAll();
      await Promise.all(sends);
    }
    expect(connections.map((c) => c.published)).toEqual([GROW_AT + 50, GROW_AT, 10]);
  });

  it('sends to the least busy connection once every one is at the threshold and the pool is full', async () => {
    const { pool: p, connections } = pool(2);
    const sends = publish(p, GROW_AT * 2 + 3);
    expect(connections.length).toBe(2);
    // Both at the threshold: the 3 left went to the least busy, alternating as each took one.
    expect(connections.map((c) => c.published)).toEqual([GROW_AT + 2, GROW_AT + 1]);
    for (const c of connections) c.confirmAll();
    await Promise.all(sends);
  });
});
