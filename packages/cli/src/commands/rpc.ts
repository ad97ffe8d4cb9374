import { getRpcClient, getRpcTransport } from '@oslo-messaging/core';
import { COMMON_HELP, jsonOption, keyValues, numberOption, parse, transportOptions } from '../common.js';
import { EXIT, UsageError } from '../exit-codes.js';
import type { Io } from '../io.js';

export const RPC_HELP = (
  verb: 'call' | 'cast',
) => `Usage: oslo-messaging ${verb} --topic T [options] METHOD [key=value ...]

${verb === 'call' ? 'Invokes METHOD and prints its result as JSON.' : 'Invokes METHOD without waiting for a result.'}
Values that parse as JSON are sent as JSON (n=3 is a number, s=x a string).

Options:
  --topic T          target topic (required)
  --server S         a specific server
  --fanout           every server of the topic${verb === 'call' ? ' (casts only)' : ''}
  --exchange X       target exchange (default: the control exchange)
  --namespace N      endpoint namespace
  --version V        API version, e.g. 1.3
  --timeout S        seconds to wait for the reply (default 60)
  --args JSON        all arguments as one JSON object instead of key=value words
  --context JSON     request context (default {})
${COMMON_HELP}

Examples:
  oslo-messaging ${verb} --url rabbit://guest:guest@127.0.0.1:5672/ --topic compute --server host1 ${verb === 'call' ? 'get_host_uptime' : 'refresh_cache'} reason=manual
  oslo-messaging ${verb} --config-file /etc/nova/nova.conf --topic conductor --version 3.0 ping --args '{"arg": "hi"}'`;

/** `call` and `cast`. */
export async function rpcCommand(verb: 'call' | 'cast', argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    topic: { type: 'string' },
    server: { type: 'string' },
    fanout: { type: 'boolean' },
    exchange: { type: 'string' },
    namespace: { type: 'string' },
    version: { type: 'string' },
    timeout: { type: 'string' },
    args: { type: 'string' },
    context: { type: 'string' },
  });
  if (values.help) {
    io.out(RPC_HELP(verb));
    return EXIT.OK;
  }
  if (!values.topic) throw new UsageError('--topic is required');
  const [method, ...words] = positionals;
  if (!method) throw new UsageError('METHOD is required');
  if (values.args !== undefined && words.length > 0)
    throw new UsageError('give arguments either as key=value words or as --args JSON, not both');
  const args = values.args !== undefined ? jsonOption('args', values.args, {}) : keyValues(words);
  if (typeof args !== 'object' || args === null || Array.isArray(args))
    throw new UsageError('--args must be a JSON object');
  const ctxt = jsonOption('context', values.context, {}) as Record<string, unknown>;
  if (verb === 'call' && values.fanout) throw new UsageError('a call cannot be fanout; use cast');
  const transport = await getRpcTransport(transportOptions(values));
  try {
    const client = getRpcClient(
      transport,
      {
        topic: values.topic,
        server: values.server,
        fanout: values.fanout,
        exchange: values.exchange,
        namespace: values.namespace,
        version: values.version,
      },
      { timeout: numberOption('timeout', values.timeout, 60) },
    );
    if (verb === 'cast') {
      await client.cast(ctxt, method, args as Record<string, unknown>);
      io.err(
        `cast ${method} sent to ${values.topic}${values.server ? `.${values.server}` : ''}${values.fanout ? ' (fanout)' : ''}`,
      );
    } else {
      io.out(JSON.stringify(await client.call(ctxt, method, args as Record<string, unknown>)) ?? 'null');
    }
    return EXIT.OK;
  } finally {
    await transport.cleanup();
  }
}
