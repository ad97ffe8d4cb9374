// What the shared broker says of a queue, for tests that check acknowledgements on the broker itself.
import { execFileSync } from 'node:child_process';
import * as amqp from 'amqplib';

/** `queue`'s messages ready for delivery and deliveries not acknowledged yet, from `rabbitmqctl`. */
export function queueCounts(queue: string): { ready: number; unacked: number } {
  const out = execFileSync(
    'rabbitmqctl',
    ['list_queues', '-q', '--no-table-headers', 'name', 'messages_ready', 'messages_unacknowledged'],
    { encoding: 'utf8' },
  );
  const line = out
    .trim()
    .split('\n')
    .find((l) => l.split('\t')[0] === queue);
  if (!line) throw new Error(`rabbitmqctl does not list ${queue}`);
  const [, ready, unacked] = line.split('\t').map(Number);
  return { ready: ready!, unacked: unacked! };
}

/** Deletes `queues` (a test's own) through a connection of its own. */
export async function deleteQueues(amqpUrl: string, queues: string[]): Promise<void> {
  const conn = await amqp.connect(amqpUrl);
  try {
    const ch = await conn.createChannel();
    for (const q of queues) await ch.deleteQueue(q);
  } finally {
    await conn.close();
  }
}
