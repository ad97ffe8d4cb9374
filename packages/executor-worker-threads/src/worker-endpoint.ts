import { fileURLToPath, pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';
import type { RpcEndpoint, TargetFields } from '@oslo-messaging/core';
import { WorkerPool } from './worker-pool.js';

/** Where workers find an endpoint: a module and the export holding its class (instantiated once per worker) or object. */
export interface WorkerEndpointSpec {
  /** Absolute path, `file:` URL string or URL of an ES module (e.g. `new URL('./heavy.js', import.meta.url)`). */
  readonly module: string | URL;
  /** Export name (default `default`). */
  readonly export?: string | undefined;
  /** Namespace/version the endpoint serves, as an endpoint's own `target`. */
  readonly target?: TargetFields | undefined;
  /** The pool to run in (default: {@link defaultWorkerPool}). */
  readonly pool?: WorkerPool | undefined;
}

let sharedPool: WorkerPool | undefined;

/** The process-wide pool worker endpoints use unless given one; created on first use. */
export function defaultWorkerPool(): WorkerPool {
  sharedPool ??= new WorkerPool();
  return sharedPool;
}

/** Closes the process-wide pool (after its work finishes); the next use creates a new one. */
export async function closeDefaultWorkerPool(): Promise<void> {
  const pool = sharedPool;
  sharedPool = undefined;
  await pool?.close();
}

const RESERVED = new Set(['target', 'then', 'constructor', 'toJSON']);

function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (module.startsWith('file:')) return module;
  if (isAbsolute(module)) return pathToFileURL(module).href;
  throw new TypeError(`Worker endpoint module must be an absolute path or a file: URL, got "${module}"`);
}

/**
 * An RPC endpoint whose methods run in worker threads: give it to `getRpcServer` like any endpoint.
 * Each method call `(ctxt, args)` is posted to a worker, which loads `module`, instantiates the
 * export and calls the method; the result (or the error, class name kept) comes back to the caller.
 */
export function workerEndpoint(spec: WorkerEndpointSpec): RpcEndpoint {
  const module = moduleUrl(spec.module);
  fileURLToPath(module); // validates the URL early
  const exportName = spec.export ?? 'default';
  const methods = new Map<string, (ctxt: unknown, args: unknown) => Promise<unknown>>();
  const base: Record<string, unknown> = spec.target ? { target: spec.target } : {};
  return new Proxy(base, {
    get(target, prop) {
      if (typeof prop !== 'string') return undefined;
      if (prop in target || RESERVED.has(prop)) return target[prop];
      let fn = methods.get(prop);
      if (!fn) {
        fn = (ctxt: unknown, args: unknown) =>
          (spec.pool ?? defaultWorkerPool()).run(module, exportName, prop, ctxt, args);
        methods.set(prop, fn);
      }
      return fn;
    },
  });
}
