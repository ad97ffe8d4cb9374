import { ENTRY_POINT_GROUPS, type EntryPointGroup } from '../spi/entry-point.js';

/**
 * First-party plugin names and the package that provides each, so an error can say exactly what to
 * install, and lookup finds them even when the application did not list them as dependencies.
 */
export const KNOWN_PACKAGES: Readonly<Record<EntryPointGroup, Readonly<Record<string, string>>>> = {
  [ENTRY_POINT_GROUPS.drivers]: {
    fake: '@oslo-messaging/driver-fake',
    rabbit: '@oslo-messaging/driver-rabbit',
    kombu: '@oslo-messaging/driver-rabbit',
    amqp: '@oslo-messaging/driver-amqp1',
    zmq: '@oslo-messaging/driver-zmq',
  },
  [ENTRY_POINT_GROUPS.executors]: {
    blocking: '@oslo-messaging/executor-blocking',
    pool: '@oslo-messaging/executor-pool',
    threading: '@oslo-messaging/executor-pool',
    'worker-threads': '@oslo-messaging/executor-worker-threads',
  },
  [ENTRY_POINT_GROUPS.notifyDrivers]: {
    messaging: '@oslo-messaging/notifier-messaging',
    messagingv2: '@oslo-messaging/notifier-messaging',
    log: '@oslo-messaging/notifier-log',
    noop: '@oslo-messaging/notifier-noop',
    test: '@oslo-messaging/notifier-test',
    routing: '@oslo-messaging/notifier-routing',
  },
  [ENTRY_POINT_GROUPS.matchmakers]: {
    redis: '@oslo-messaging/matchmaker-redis',
    sentinel: '@oslo-messaging/matchmaker-redis',
    static: '@oslo-messaging/matchmaker-static',
  },
  [ENTRY_POINT_GROUPS.metrics]: {
    'oslo.metrics': '@oslo-messaging/metrics',
  },
};

const KIND: Readonly<Record<EntryPointGroup, string>> = {
  [ENTRY_POINT_GROUPS.drivers]: 'driver',
  [ENTRY_POINT_GROUPS.executors]: 'executor',
  [ENTRY_POINT_GROUPS.notifyDrivers]: 'notifier',
  [ENTRY_POINT_GROUPS.matchmakers]: 'matchmaker',
  [ENTRY_POINT_GROUPS.metrics]: 'metrics',
};

/** Package names to try for `name` in `group`, most likely first (Babel-style convention). */
export function candidatePackages(group: EntryPointGroup, name: string): string[] {
  const kind = KIND[group];
  const known = KNOWN_PACKAGES[group][name];
  const out = known ? [known] : [];
  if (/^[a-z0-9][a-z0-9._-]*$/.test(name))
    out.push(`@oslo-messaging/${kind}-${name}`, `oslo-messaging-${kind}-${name}`);
  return [...new Set(out)];
}
