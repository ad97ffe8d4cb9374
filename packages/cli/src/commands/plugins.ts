import { listPlugins } from '@oslo-messaging/core';
import { ENTRY_POINT_GROUPS } from '@oslo-messaging/core/spi';
import { EXIT } from '../exit-codes.js';
import type { Io } from '../io.js';

export const PLUGINS_HELP = `Usage: oslo-messaging list-plugins [--json]

Lists the installed drivers, executors, notification drivers and matchmakers, without loading them.

Examples:
  oslo-messaging list-plugins
  oslo-messaging list-plugins --json | jq '.[] | select(.group == "oslo.messaging.drivers") | .name'`;

export function pluginsCommand(argv: string[], io: Io): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(PLUGINS_HELP);
    return EXIT.OK;
  }
  const all = Object.values(ENTRY_POINT_GROUPS).flatMap((g) => listPlugins(g));
  if (argv.includes('--json')) io.out(JSON.stringify(all));
  else
    for (const p of all)
      io.out(`${p.group.padEnd(32)} ${p.name.padEnd(16)} ${p.packageName}${p.version ? `@${p.version}` : ''}`);
  return EXIT.OK;
}
