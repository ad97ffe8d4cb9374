import { MalformedMessage, RemoteError } from '../errors.js';
import type { RemoteErrorCodec } from '../spi/driver.js';
import { parseJson } from './json.js';
import { JS_NATIVE_TO_PYTHON, PYTHON_BUILTINS } from './python-errors.js';

/** oslo's failure format (`serialize_remote_exception`). */
export interface Failure {
  /** The error's class name, e.g. `ValueError`. */
  readonly class: string;
  /** The class's Python module, e.g. `builtins` or `nova.exception`. */
  readonly module: string;
  /** The error message. */
  readonly message: string;
  /** The traceback, one string per line. */
  readonly tb: string[];
  /** Positional arguments the error was built with. */
  readonly args: unknown[];
  /** Keyword arguments the error was built with. */
  readonly kwargs: Record<string, unknown>;
}

/** A constructor that can be re-created from a remote failure. */
export type RemoteErrorConstructor = (new (message: string) => Error) & {
  /** Optional custom rebuild, used instead of `new Ctor(message)`. */
  fromRemote?: (failure: Failure) => Error;
};

const registry = new Map<string, Map<string, RemoteErrorConstructor>>();

/**
 * Registers error classes under a remote module name (oslo's `allowed_remote_exmods` modules),
 * so a failure with that module and class name is re-created as that class on the client when the
 * module is allowed. Also sets the module our own instances of these classes travel with.
 */
export function registerRemoteErrors(module: string, classes: Readonly<Record<string, RemoteErrorConstructor>>): void {
  const byName = registry.get(module) ?? new Map<string, RemoteErrorConstructor>();
  for (const [name, ctor] of Object.entries(classes)) {
    byName.set(name, ctor);
    if (!Object.prototype.hasOwnProperty.call(ctor, 'remoteModule')) {
      Object.defineProperty(ctor, 'remoteModule', { value: module, configurable: true });
    }
  }
  registry.set(module, byName);
}

/** Where an error class says it lives: its static `remoteModule`, `builtins` for JS natives, else `__main__`. */
function moduleOf(err: Error): string {
  const ctor = err.constructor as { remoteModule?: unknown; name: string };
  if (typeof ctor.remoteModule === 'string') return ctor.remoteModule;
  if (ctor.name in JS_NATIVE_TO_PYTHON) return 'builtins';
  return '__main__';
}

function classOf(err: Error, module: string): string {
  const name = err.constructor?.name || err.name || 'Exception';
  return module === 'builtins' && name in JS_NATIVE_TO_PYTHON ? JS_NATIVE_TO_PYTHON[name]! : name;
}

/** Builds oslo's failure dict for an error (Python: `serialize_remote_exception`). */
export function toFailure(error: unknown): Failure {
  const err = error instanceof Error ? error : new Error(String(error));
  const module = moduleOf(err);
  const e = err as Error & { args?: unknown; kwargs?: unknown; remoteTraceback?: unknown };
  let cls = classOf(err, module);
  let mod = module;
  if (cls.endsWith('_Remote') && mod.endsWith('_Remote')) {
    cls = cls.slice(0, -7);
    mod = mod.slice(0, -7);
  }
  const tb = Array.isArray(e.remoteTraceback)
    ? (e.remoteTraceback as string[])
    : (err.stack ?? `${err.name}: ${err.message}`).split('\n').map((l) => `${l}\n`);
  const args = Array.isArray(e.args) && e.args.length > 0 ? e.args : [err.message];
  const kwargs =
    e.kwargs && typeof e.kwargs === 'object' && !Array.isArray(e.kwargs) ? (e.kwargs as Record<string, unknown>) : {};
  return {
    class: cls,
    module: mod,
    message: err.message,
    tb,
    args: toJsonSafe(args) as unknown[],
    kwargs: toJsonSafe(kwargs) as Record<string, unknown>,
  };
}

function toJsonSafe(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value ?? null)) as unknown;
  } catch {
    return Array.isArray(value) ? value.map(String) : {};
  }
}

/** oslo's failure JSON string for an error. */
export function serializeRemoteException(error: unknown): string {
  return JSON.stringify(toFailure(error));
}

function asFailure(data: unknown): Failure {
  const raw = typeof data === 'string' ? parseJson(data) : data;
  if (typeof raw !== 'object' || raw === null) throw new MalformedMessage('Remote failure is not a JSON object');
  const f = raw as Record<string, unknown>;
  return {
    class: typeof f['class'] === 'string' ? f['class'] : 'Exception',
    module: typeof f['module'] === 'string' ? f['module'] : 'builtins',
    message: typeof f['message'] === 'string' ? f['message'] : String(f['message'] ?? ''),
    tb: Array.isArray(f['tb']) ? f['tb'].map(String) : [],
    args: Array.isArray(f['args']) ? f['args'] : [],
    kwargs: typeof f['kwargs'] === 'object' && f['kwargs'] !== null ? (f['kwargs'] as Record<string, unknown>) : {},
  };
}

/**
 * Rebuilds a remote failure as an Error (Python: `deserialize_remote_exception`): built-ins and
 * registered classes of allowed modules are re-created (with `remoteTraceback`, `args`, `kwargs`),
 * anything else becomes {@link RemoteError}.
 */
export function deserializeRemoteException(data: unknown, allowedRemoteExmods: readonly string[]): Error {
  const failure = asFailure(data);
  const module = failure.module === 'exceptions' ? 'builtins' : failure.module;
  const traceback = failure.tb.join('');
  const remote = () => new RemoteError(failure.class, failure.message, traceback, module);
  let Ctor: RemoteErrorConstructor | undefined;
  if (module === 'builtins') Ctor = registry.get('builtins')?.get(failure.class) ?? PYTHON_BUILTINS[failure.class];
  else if (allowedRemoteExmods.includes(module)) Ctor = registry.get(module)?.get(failure.class);
  if (!Ctor) return remote();
  let err: Error;
  try {
    err = Ctor.fromRemote ? Ctor.fromRemote(failure) : new Ctor(failure.message);
  } catch {
    return remote();
  }
  Object.assign(err, { args: failure.args, kwargs: failure.kwargs, remoteTraceback: failure.tb, remoteModule: module });
  return err;
}

/** A {@link RemoteErrorCodec} for a transport with the given allowed modules. */
export function createRemoteErrorCodec(allowedRemoteExmods: readonly string[]): RemoteErrorCodec {
  return {
    serialize: serializeRemoteException,
    deserialize: (failure) => deserializeRemoteException(failure, allowedRemoteExmods),
  };
}
