// `oslo-messaging-send-notification`: upstream oslo.messaging's console script
// (oslo_messaging.notify.notifier:_send_notification, the same in 14.0.3 and 18.1.0), with its arguments
// parsed the way its argparse parser does and the notification built the way it builds it, so operators'
// scripts run unchanged and consumers receive the same message.
import { randomUUID } from 'node:crypto';
import {
  createConsoleLogger,
  ConfigurationError,
  getNotificationTransport,
  listPlugins,
  type Logger,
  type Transport,
} from '@oslo-messaging/core';
import {
  ENTRY_POINT_GROUPS,
  pythonTimestamp,
  type NotificationMessage,
  type NotifierDriver,
} from '@oslo-messaging/core/spi';
import { transportOptions } from '../common.js';
import { EXIT } from '../exit-codes.js';
import type { Io } from '../io.js';

export const SEND_NOTIFICATION_PROG = 'oslo-messaging-send-notification';

/** Upstream's --priority choices (no `debug`: its script offers none). */
export const SEND_NOTIFICATION_PRIORITIES = ['info', 'audit', 'warn', 'error', 'critical', 'sample'] as const;

/** The parsed command line, with upstream's defaults. */
export interface SendNotificationArgs {
  readonly configFile: string | undefined;
  readonly transportUrl: string | undefined;
  /** `undefined` when not given: the notification then carries `publisher_id: null`, as upstream's. */
  readonly publisherId: string | undefined;
  readonly eventType: string;
  /** `undefined` when --topic is absent ([oslo_messaging_notifications] topics, default notifications). */
  readonly topics: readonly string[] | undefined;
  readonly priority: string;
  readonly driver: string;
  /** Sent as it is: a string, never parsed (upstream sends the argument string as the payload). */
  readonly payload: string;
}

class ArgparseError extends Error {}

interface OptionSpec {
  readonly flag: string;
  readonly dest:
    'configFile' | 'transportUrl' | 'publisherId' | 'eventType' | 'topics' | 'priority' | 'driver' | 'help';
  readonly nargs: 'one' | 'many' | 'none';
  readonly metavar?: string;
  readonly choices?: () => readonly string[];
  readonly help: string;
}

const driverChoices = () =>
  listPlugins(ENTRY_POINT_GROUPS.notifyDrivers)
    .map((p) => p.name)
    .sort();

const OPTIONS: readonly OptionSpec[] = [
  { flag: '--help', dest: 'help', nargs: 'none', help: 'show this help message and exit' },
  {
    flag: '--config-file',
    dest: 'configFile',
    nargs: 'one',
    metavar: 'CONFIG_FILE',
    help: 'Path to configuration file',
  },
  { flag: '--transport-url', dest: 'transportUrl', nargs: 'one', metavar: 'TRANSPORT_URL', help: 'Transport URL' },
  { flag: '--publisher-id', dest: 'publisherId', nargs: 'one', metavar: 'PUBLISHER_ID', help: 'Publisher ID' },
  { flag: '--event-type', dest: 'eventType', nargs: 'one', metavar: 'EVENT_TYPE', help: 'Event type (default: test)' },
  {
    flag: '--topic',
    dest: 'topics',
    nargs: 'many',
    metavar: 'TOPIC',
    help: 'Topic to send to (default: [oslo_messaging_notifications] topics, else notifications)',
  },
  {
    flag: '--priority',
    dest: 'priority',
    nargs: 'one',
    choices: () => SEND_NOTIFICATION_PRIORITIES,
    help: 'Priority (default: info)',
  },
  {
    flag: '--driver',
    dest: 'driver',
    nargs: 'one',
    choices: driverChoices,
    help: 'Notification driver (default: messagingv2)',
  },
];

/** argparse's usage text, laid out as Python 3.11's argparse lays it out for upstream's parser. */
const usage = () => {
  const pad = ' '.repeat(`usage: ${SEND_NOTIFICATION_PROG} `.length);
  return [
    `usage: ${SEND_NOTIFICATION_PROG} [-h] [--config-file CONFIG_FILE]`,
    '[--transport-url TRANSPORT_URL]',
    '[--publisher-id PUBLISHER_ID]',
    '[--event-type EVENT_TYPE]',
    '[--topic [TOPIC ...]]',
    `[--priority {${SEND_NOTIFICATION_PRIORITIES.join(',')}}]`,
    `[--driver {${driverChoices().join(',')}}]`,
    'payload',
  ].join(`\n${pad}`);
};

export function sendNotificationHelp(): string {
  const rows = OPTIONS.filter((o) => o.dest !== 'help').map((o) => {
    const meta = o.choices ? `{${o.choices().join(',')}}` : o.nargs === 'many' ? `[${o.metavar} ...]` : o.metavar;
    return `  ${o.flag} ${meta}\n                        ${o.help}`;
  });
  return `${usage()}

Oslo.messaging notification sending: upstream oslo.messaging's console script, with its arguments.
Sends one notification with an empty context; the payload argument is sent as a string, as upstream
sends it (use "oslo-messaging notify --payload JSON" to send a JSON object).

positional arguments:
  payload               the notification payload

options:
  -h, --help            show this help message and exit
${rows.join('\n')}

Example:
  ${SEND_NOTIFICATION_PROG} --transport-url rabbit://guest:guest@127.0.0.1:5672/ \\
    --topic notifications --publisher-id compute.host1 --event-type compute.instance.exists '{"id": 1}'`;
}

/** A negative number is a positional argument, as argparse takes it when no option looks like one. */
const looksLikeOption = (arg: string) => arg.startsWith('-') && arg !== '-' && !/^-\d+$|^-\d*\.\d+$/.test(arg);

/**
 * Parses `argv` as upstream's argparse parser does: `--opt value` and `--opt=value`, unambiguous
 * prefixes (`--pub` for `--publisher-id`), `--topic` taking every following non-option word, the last
 * of a repeated option winning, `--` ending the options, and the same error messages.
 *
 * @returns `'help'` for -h/--help
 * @throws ArgparseError with argparse's message for a bad command line
 */
export function parseSendNotificationArgs(argv: readonly string[]): SendNotificationArgs | 'help' {
  const values: { -readonly [K in keyof SendNotificationArgs]?: SendNotificationArgs[K] } = {};
  const positionals: string[] = [];
  const unrecognized: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!looksLikeOption(arg)) {
      positionals.push(arg);
      continue;
    }
    let spec: OptionSpec | undefined;
    let explicit: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(0, eq) : arg;
      explicit = eq >= 0 ? arg.slice(eq + 1) : undefined;
      spec = OPTIONS.find((o) => o.flag === name);
      if (!spec) {
        const matches = OPTIONS.filter((o) => o.flag.startsWith(name));
        if (matches.length > 1)
          throw new ArgparseError(`ambiguous option: ${name} could match ${matches.map((o) => o.flag).join(', ')}`);
        spec = matches[0];
      }
    } else if (arg === '-h' || arg.startsWith('-h')) {
      spec = OPTIONS[0];
      explicit = arg.length > 2 ? arg.slice(2) : undefined;
    }
    if (!spec) {
      unrecognized.push(arg);
      continue;
    }
    const label = spec.dest === 'help' ? '-h/--help' : spec.flag;
    if (spec.nargs === 'none') {
      if (explicit !== undefined) throw new ArgparseError(`argument ${label}: ignored explicit argument '${explicit}'`);
      return 'help';
    }
    let words: string[];
    if (explicit !== undefined) words = [explicit];
    else {
      words = [];
      while (
        i + 1 < argv.length &&
        !looksLikeOption(argv[i + 1]!) &&
        argv[i + 1] !== '--' &&
        (spec.nargs === 'many' || words.length === 0)
      )
        words.push(argv[++i]!);
      if (spec.nargs === 'one' && words.length === 0)
        throw new ArgparseError(`argument ${label}: expected one argument`);
    }
    if (spec.choices) {
      const choices = spec.choices();
      if (!choices.includes(words[0]!))
        throw new ArgparseError(
          `argument ${label}: invalid choice: '${words[0]}' (choose from ${choices.map((c) => `'${c}'`).join(', ')})`,
        );
    }
    if (spec.dest === 'topics') values.topics = words;
    else if (spec.dest !== 'help') values[spec.dest] = words[0]!;
  }
  if (positionals.length === 0) throw new ArgparseError('the following arguments are required: payload');
  unrecognized.push(...positionals.slice(1));
  if (unrecognized.length > 0) throw new ArgparseError(`unrecognized arguments: ${unrecognized.join(' ')}`);
  return {
    configFile: values.configFile,
    transportUrl: values.transportUrl,
    publisherId: values.publisherId,
    eventType: values.eventType ?? 'test',
    topics: values.topics,
    priority: values.priority ?? 'info',
    driver: values.driver ?? 'messagingv2',
    payload: positionals[0]!,
  };
}

const asList = (v: unknown) =>
  Array.isArray(v)
    ? v.map(String)
    : typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined;

/** Runs `oslo-messaging-send-notification ARGS`. Usage errors are printed as argparse prints them (exit 2). */
export async function sendNotificationCommand(argv: string[], io: Io): Promise<number> {
  let args: SendNotificationArgs | 'help';
  try {
    args = parseSendNotificationArgs(argv);
  } catch (err) {
    if (!(err instanceof ArgparseError)) throw err;
    io.err(`${usage()}\n${SEND_NOTIFICATION_PROG}: error: ${err.message}`);
    return EXIT.USAGE;
  }
  if (args === 'help') {
    io.out(sendNotificationHelp());
    return EXIT.OK;
  }
  // Python's logging without a handler shows warnings and errors on stderr: the same here (the log driver
  // then prints warn/error/critical notifications, as upstream's does).
  const logger = createConsoleLogger('warn');
  const transport = await getNotificationTransport({
    ...transportOptions({
      url: args.transportUrl,
      'config-file': args.configFile !== undefined ? [args.configFile] : undefined,
    }),
    logger,
  });
  try {
    const settings = transport.conf.config['oslo_messaging_notifications'] ?? {};
    const topics = args.topics ?? asList(settings['topics']) ?? ['notifications'];
    const confRetry = settings['retry'];
    const retry = confRetry === undefined ? -1 : Number(confRetry);
    const driver = await loadDriver(transport, args.driver, topics, settings, logger, new Set());
    // What upstream's script builds: notifier._notify({}, event_type, payload, priority) with the priority as
    // given (lower case) and the publisher id possibly None; the context is empty in every version.
    const message = {
      message_id: randomUUID(),
      publisher_id: args.publisherId ?? null,
      event_type: args.eventType,
      priority: args.priority,
      payload: args.payload,
      timestamp: pythonTimestamp(),
    } as unknown as NotificationMessage;
    try {
      await driver.notify({}, message, args.priority, retry);
    } catch (err) {
      // Upstream logs this and exits 0; we log the same line and exit 1, so a script can tell.
      logger.error(
        `Problem '${(err as Error)?.message ?? String(err)}' attempting to send to notification system. Payload=${JSON.stringify(args.payload)}`,
      );
      return EXIT.MESSAGING_ERROR;
    }
    return EXIT.OK;
  } finally {
    await transport.cleanup();
  }
}

async function loadDriver(
  transport: Transport,
  name: string,
  topics: readonly string[],
  settings: Readonly<Record<string, unknown>>,
  logger: Logger,
  loading: Set<string>,
): Promise<NotifierDriver> {
  if (loading.has(name)) throw new ConfigurationError(`Notification driver ${name} cannot route to itself`);
  const factory = await transport.plugins.load(ENTRY_POINT_GROUPS.notifyDrivers, name);
  return factory.create({
    transport: {
      sendNotification: (target, ctxt, message, version, retry) =>
        transport.operations.run((signal) =>
          transport.driver.sendNotification(target, ctxt, message, { version, retry, signal }),
        ),
    },
    topics,
    settings,
    logger,
    loadDriver: (other) => loadDriver(transport, other, topics, settings, logger, new Set([...loading, name])),
  });
}
