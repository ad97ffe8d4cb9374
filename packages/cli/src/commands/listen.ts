import {
  getNotificationListener,
  getNotificationTransport,
  NotificationFilter,
  PRIORITIES,
  type NotificationEndpoint,
} from '@oslo-messaging/core';
import { COMMON_HELP, parse, transportOptions } from '../common.js';
import { EXIT, UsageError } from '../exit-codes.js';
import type { Io } from '../io.js';

export const LISTEN_HELP = `Usage: oslo-messaging listen --topic T [options]

Prints notifications as they arrive, until Ctrl-C.

Options:
  --topic T              topic (default notifications; repeatable)
  --exchange X           exchange (default: the control exchange)
  --pool P               listener pool: share the stream with other members of P
  --filter FIELD=REGEX   only matching notifications; FIELD is event_type, publisher_id,
                         context.KEY, payload.KEY or metadata.KEY (repeatable; all must match)
  --json                 one JSON object per line
${COMMON_HELP}

Example:
  oslo-messaging listen --config-file /etc/nova/nova.conf --topic notifications --filter 'event_type=compute\\.instance\\..*'`;

function filterFrom(specs: string[]): NotificationFilter | undefined {
  if (specs.length === 0) return undefined;
  const c: {
    publisherId?: string;
    eventType?: string;
    context?: Record<string, string>;
    payload?: Record<string, string>;
    metadata?: Record<string, string>;
  } = {};
  for (const spec of specs) {
    const i = spec.indexOf('=');
    if (i <= 0) throw new UsageError(`--filter "${spec}" is not FIELD=REGEX`);
    const field = spec.slice(0, i);
    const re = spec.slice(i + 1);
    try {
      new RegExp(re);
    } catch (err) {
      throw new UsageError(`--filter ${field}: ${(err as Error).message}`);
    }
    if (field === 'event_type') c.eventType = re;
    else if (field === 'publisher_id') c.publisherId = re;
    else {
      const [where, key] = field.split('.', 2) as [string, string | undefined];
      if (!key || !['context', 'payload', 'metadata'].includes(where))
        throw new UsageError(
          `--filter field "${field}" must be event_type, publisher_id, context.KEY, payload.KEY or metadata.KEY`,
        );
      (c[where as 'context'] ??= {})[key] = re;
    }
  }
  return new NotificationFilter(c);
}

export async function listenCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    topic: { type: 'string', multiple: true },
    exchange: { type: 'string' },
    pool: { type: 'string' },
    filter: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  });
  if (values.help) {
    io.out(LISTEN_HELP);
    return EXIT.OK;
  }
  const filterRule = filterFrom(values.filter ?? []);
  const transport = await getNotificationTransport(transportOptions(values));
  const endpoint: Record<string, unknown> = { filterRule };
  for (const priority of PRIORITIES) {
    endpoint[priority] = (
      ctxt: unknown,
      publisherId: string,
      eventType: string,
      payload: unknown,
      metadata: Record<string, unknown>,
    ) => {
      if (values.json)
        io.out(JSON.stringify({ priority, publisher_id: publisherId, event_type: eventType, payload, metadata, ctxt }));
      else
        io.out(
          `${String(metadata['timestamp'])} ${priority.toUpperCase().padEnd(8)} ${eventType} from ${publisherId}: ${JSON.stringify(payload)}`,
        );
    };
  }
  const topics = values.topic ?? ['notifications'];
  const listener = getNotificationListener(
    transport,
    topics.map((topic) => ({ topic, exchange: values.exchange })),
    [endpoint as NotificationEndpoint],
    { pool: values.pool },
  );
  try {
    await listener.start();
    io.err(
      `listening on ${topics.join(', ')}${values.pool ? ` (pool ${values.pool})` : ''} at ${transport.url.toString()}; Ctrl-C to stop`,
    );
    await io.interrupted;
    return EXIT.INTERRUPTED;
  } finally {
    await listener.stop();
    await listener.wait();
    await transport.cleanup();
  }
}
