import { hostname } from 'node:os';
import { getRpcServer, getRpcTransport, PythonErrors } from '@oslo-messaging/core';
import { COMMON_HELP, parse, transportOptions } from '../common.js';
import { EXIT, UsageError } from '../exit-codes.js';
import type { Io } from '../io.js';

export const SERVE_HELP = `Usage: oslo-messaging serve --topic T [--server S] [options]

Runs an echo/introspection RPC server until Ctrl-C, printing each request. Methods:
  echo(**args)            returns its arguments
  ping()                  returns "pong"
  sleep(seconds)          waits, then returns the seconds slept
  fail(kind, message)     raises: kind=value gives ValueError, anything else an RPC failure
  info()                  server, topic, pid, transport URL (password masked)

Options:
  --topic T        topic (required)
  --server S       server name (default: this host's name)
  --exchange X     exchange (default: the control exchange)
  --executor E     executor plugin (default pool)
${COMMON_HELP}

Example:
  oslo-messaging serve --url rabbit://guest:guest@127.0.0.1:5672/ --topic demo --server host1
  oslo-messaging call  --url rabbit://guest:guest@127.0.0.1:5672/ --topic demo echo greeting=hi`;

/** Raised by `fail` for kinds other than `value`. */
export class ServeFailure extends Error {}

export async function serveCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    topic: { type: 'string' },
    server: { type: 'string' },
    exchange: { type: 'string' },
    executor: { type: 'string' },
  });
  if (values.help) {
    io.out(SERVE_HELP);
    return EXIT.OK;
  }
  if (!values.topic) throw new UsageError('--topic is required');
  const transport = await getRpcTransport(transportOptions(values));
  const server = values.server ?? hostname();
  const log = (method: string, args: unknown) =>
    io.err(`${new Date().toISOString()} ${method} ${JSON.stringify(args)}`);
  const endpoint = {
    echo: (_c: unknown, args: Record<string, unknown>) => (log('echo', args), args),
    ping: () => (log('ping', {}), 'pong'),
    sleep: async (_c: unknown, { seconds = 1 }: { seconds?: number }) => {
      log('sleep', { seconds });
      await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
      return seconds;
    },
    fail: (_c: unknown, { kind = 'value', message = 'requested failure' }: { kind?: string; message?: string }) => {
      log('fail', { kind, message });
      throw kind === 'value' ? new PythonErrors.ValueError(message) : new ServeFailure(message);
    },
    info: () => ({ server, topic: values.topic, pid: process.pid, url: transport.url.toString() }),
  };
  const rpcServer = getRpcServer(transport, { topic: values.topic, server, exchange: values.exchange }, [endpoint], {
    executor: values.executor,
  });
  try {
    await rpcServer.start();
    io.out(JSON.stringify({ ready: true, topic: values.topic, server, url: transport.url.toString() }));
    io.err(`serving topic ${values.topic} as server ${server} at ${transport.url.toString()}; Ctrl-C to stop`);
    await io.interrupted;
    return EXIT.INTERRUPTED;
  } finally {
    await rpcServer.stop();
    await rpcServer.wait();
    await transport.cleanup();
  }
}
