// Runs inside each worker thread: loads endpoint modules on demand, calls methods, posts results.
import { parentPort } from 'node:worker_threads';
import { NoSuchMethod } from '@oslo-messaging/core';
import { toFailure } from '@oslo-messaging/core/spi';
import type { ResultMessage, TaskMessage } from './protocol.js';

const endpoints = new Map<string, Promise<Record<string, unknown>>>();
const FORBIDDEN = new Set(['constructor', 'target', ...Object.getOwnPropertyNames(Object.prototype)]);

async function loadEndpoint(module: string, exportName: string): Promise<Record<string, unknown>> {
  const key = `${module}#${exportName}`;
  let e = endpoints.get(key);
  if (!e) {
    e = import(module).then((mod: Record<string, unknown>) => {
      const value = mod[exportName];
      if (value === undefined) throw new Error(`${module} has no export "${exportName}"`);
      // A class is instantiated once per worker; an object is used as it is.
      return (typeof value === 'function' ? new (value as new () => object)() : value) as Record<string, unknown>;
    });
    endpoints.set(key, e);
    e.catch(() => endpoints.delete(key));
  }
  return e;
}

parentPort!.on('message', (task: TaskMessage) => {
  void (async () => {
    let reply: ResultMessage;
    try {
      const endpoint = await loadEndpoint(task.module, task.exportName);
      const fn = endpoint[task.method];
      if (FORBIDDEN.has(task.method) || typeof fn !== 'function') throw new NoSuchMethod(task.method);
      const result = await (fn as (c: unknown, a: unknown) => unknown).call(endpoint, task.ctxt, task.args);
      reply = { id: task.id, ok: true, result };
    } catch (err) {
      reply = { id: task.id, ok: false, failure: toFailure(err) };
    }
    try {
      parentPort!.postMessage(reply);
    } catch (err) {
      // The result could not be cloned (a function, a class instance with private state...).
      parentPort!.postMessage({
        id: task.id,
        ok: false,
        failure: toFailure(new TypeError(`Result of ${task.method} cannot be sent back: ${(err as Error).message}`)),
      } satisfies ResultMessage);
    }
  })();
});
