import { getNotificationTransport, Notifier } from '@oslo-messaging/core';
import { isPriority } from '@oslo-messaging/core/spi';
import { COMMON_HELP, jsonOption, parse, transportOptions } from '../common.js';
import { EXIT, UsageError } from '../exit-codes.js';
import type { Io } from '../io.js';

export const NOTIFY_HELP = `Usage: oslo-messaging notify --topic T --event-type E [options]

Sends one notification. For upstream's oslo-messaging-send-notification and its arguments, use
the oslo-messaging-send-notification command (or oslo-messaging send-notification).

Options:
  --topic T            notification topic (default notifications)
  --publisher-id P     publisher id (default oslo-messaging-cli)
  --event-type E       event type (required), e.g. compute.instance.create.end
  --priority P         audit, debug, info (default), warn, error, critical, sample
  --payload JSON       payload (default {})
  --context JSON       context (default {})
  --driver D           notifier driver: messagingv2 (default), messaging, log, ...
${COMMON_HELP}

Example:
  oslo-messaging notify --url rabbit://guest:guest@127.0.0.1:5672/ --topic notifications \\
    --publisher-id compute.host1 --event-type compute.instance.exists --priority info --payload '{"id": 1}'`;

export async function notifyCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    topic: { type: 'string' },
    'publisher-id': { type: 'string' },
    'event-type': { type: 'string' },
    priority: { type: 'string' },
    payload: { type: 'string' },
    context: { type: 'string' },
    driver: { type: 'string' },
  });
  if (values.help) {
    io.out(NOTIFY_HELP);
    return EXIT.OK;
  }
  if (!values['event-type']) throw new UsageError('--event-type is required');
  const priority = (values.priority ?? 'info').toLowerCase();
  if (!isPriority(priority))
    throw new UsageError(
      `--priority must be one of audit, debug, info, warn, error, critical, sample (got "${values.priority}")`,
    );
  const payload = jsonOption('payload', values.payload, {});
  const ctxt = jsonOption('context', values.context, {}) as Record<string, unknown>;
  const transport = await getNotificationTransport(transportOptions(values));
  try {
    const notifier = new Notifier(transport, {
      publisherId: values['publisher-id'] ?? 'oslo-messaging-cli',
      driver: values.driver ?? 'messagingv2',
      topics: [values.topic ?? 'notifications'],
    });
    // Load drivers first so a missing driver is an error here, not just a log line.
    await notifier.loadDrivers();
    await notifier[priority](ctxt, values['event-type'], payload);
    io.err(`${priority} ${values['event-type']} sent to ${values.topic ?? 'notifications'}.${priority}`);
    return EXIT.OK;
  } finally {
    await transport.cleanup();
  }
}
