// A nova-style service in TypeScript called by Python oslo.messaging, and a TypeScript client calling a
// Python service, over RabbitMQ with nova's control exchange. `npm start` here (after `npm run build`);
// needs RabbitMQ on 127.0.0.1:5672 (or TRANSPORT_URL) and python3 with oslo.messaging.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  ExplicitRPCAccessPolicy,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  RemoteError,
  createConsoleLogger,
  setDefaultLogger,
  PythonErrors,
} from '@oslo-messaging/core';
import { BaseAPI, ComputeManagerV5, ComputeManagerV6 } from './compute-manager.js';

// Servers log the errors their endpoints raise; this example shows them through the callers instead.
setDefaultLogger(createConsoleLogger((process.env['OSLO_MESSAGING_LOG_LEVEL'] ?? 'silent') as 'silent'));

const url = process.env['TRANSPORT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const python = process.env['PYTHON'] ?? '/usr/bin/python3';
const here = (file: string) => fileURLToPath(new URL(`../${file}`, import.meta.url));

/** Runs a Python program, echoing its lines; resolves with them once it exits (or calls `onLine`). */
function runPython(script: string, onLine?: (line: string) => void) {
  const proc = spawn(python, [here(script), '--url', url], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  createInterface({ input: proc.stdout }).on('line', (line) => {
    lines.push(line);
    console.log(`[python] ${line}`);
    onLine?.(line);
  });
  const exited = once(proc, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`${script} exited with ${String(code)}`);
    return lines;
  });
  return { proc, exited };
}

const transport = await getRpcTransport({ url, controlExchange: 'nova' });

// 1. The TypeScript compute service, called by a Python client.
const server = getRpcServer(
  transport,
  { topic: 'compute', server: 'ts-compute-1' },
  [new ComputeManagerV5('ts-compute-1'), new ComputeManagerV6('ts-compute-1'), new BaseAPI('compute')],
  { accessPolicy: ExplicitRPCAccessPolicy },
);
await server.start();
console.log('[ts] compute service listening on topic compute (versions 5.13 and 6.2, namespace baseapi 1.1)');
await runPython('python_client.py').exited;
await server.stop();
await server.wait();

// 2. A TypeScript client calling the Python conductor (namespace compute_task, version 1.17).
let ready!: () => void;
const isReady = new Promise<void>((r) => (ready = r));
const conductor = runPython('python_server.py', (line) => line === 'ready' && ready());
await isReady;
const computeTask = getRpcClient(
  transport,
  { topic: 'conductor', namespace: 'compute_task', version: '1.17' },
  { timeout: 15 },
);
const ctxt = { user_id: 'alice', project_id: 'demo', request_id: 'req-ts-1' };
const hosts = await computeTask.call(ctxt, 'schedule_and_build_instances', { instance_uuids: ['i-1', 'i-2'] });
console.log(`[ts] schedule_and_build_instances -> ${JSON.stringify(hosts)}`);
try {
  await computeTask.call(ctxt, 'migrate_server', { instance: 'i-1', flavor: 'm1.nano' });
} catch (err) {
  console.log(
    `[ts] migrate_server -> ${err instanceof PythonErrors.ValueError ? 'ValueError' : (err as Error).name}: ${(err as Error).message}`,
  );
}
try {
  await computeTask.call(ctxt, 'rebuild_instance', { instance: 'i-9' });
} catch (err) {
  console.log(
    `[ts] rebuild_instance -> ${err instanceof RemoteError ? `RemoteError ${err.excType}: ${err.value}` : String(err)}`,
  );
}
// During an upgrade operators cap the version so old servers still understand every call.
const capped = getRpcClient(
  transport,
  { topic: 'conductor', namespace: 'compute_task', version: '1.17' },
  { versionCap: '1.17' },
);
console.log(`[ts] canSendVersion 1.18 with versionCap 1.17 -> ${capped.canSendVersion('1.18')}`);
conductor.proc.stdin.end();
await conductor.exited;

await transport.cleanup();
console.log('[ts] done');
