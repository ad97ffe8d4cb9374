import { RemoteError } from '@oslo-messaging/core';
import { benchCommand } from './commands/bench.js';
import { listenCommand } from './commands/listen.js';
import { notifyCommand } from './commands/notify.js';
import { pluginsCommand } from './commands/plugins.js';
import { rpcCommand } from './commands/rpc.js';
import { sendNotificationCommand } from './commands/send-notification.js';
import { serveCommand } from './commands/serve.js';
import { EXIT, exitCodeFor, UsageError } from './exit-codes.js';
import type { Io } from './io.js';

export const MAIN_HELP = `Usage: oslo-messaging <command> [options]

Commands:
  call          invoke an RPC method and print its result as JSON
  cast          invoke an RPC method without waiting
  notify        send a notification
  send-notification  upstream's oslo-messaging-send-notification, its arguments unchanged
  listen        print notifications as they arrive
  serve         run an echo/introspection RPC server
  bench         measure throughput and latency (like oslo's simulator.py)
  list-plugins  list installed drivers, executors and notifier drivers

Run "oslo-messaging <command> --help" for a command's options and examples.

Exit codes: 0 success, 1 messaging or remote error (the error's class and message go to stderr),
2 usage error, 3 missing plugin or bad configuration/URL, 130 interrupted (Ctrl-C).`;

/** Runs one command line; returns the exit code. Never throws. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'call':
      case 'cast':
        return await rpcCommand(command, rest, io);
      case 'notify':
        return await notifyCommand(rest, io);
      case 'send-notification':
        return await sendNotificationCommand(rest, io);
      case 'listen':
        return await listenCommand(rest, io);
      case 'serve':
        return await serveCommand(rest, io);
      case 'bench':
        return await benchCommand(rest, io);
      case 'list-plugins':
        return pluginsCommand(rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(MAIN_HELP);
        return command === undefined ? EXIT.USAGE : EXIT.OK;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError)
      io.err(
        `oslo-messaging: ${err.message}\nRun "oslo-messaging ${command && command !== 'help' ? `${command} ` : ''}--help" for usage.`,
      );
    else if (err instanceof RemoteError) io.err(`error: ${err.excType}: ${err.value}`);
    else io.err(`error: ${(err as Error).name}: ${(err as Error).message}`);
    return exitCodeFor(err);
  }
}
