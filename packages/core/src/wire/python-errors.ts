/**
 * JavaScript stand-ins for the Python built-in exceptions that commonly cross the wire, so a
 * `ValueError` raised by a Python server can be caught as a class here (and ours reach Python as the real thing).
 * Python's `TypeError` maps to JavaScript's own `TypeError`, and `Exception` to `Error`.
 */

/** Base of the Python built-in stand-ins; `args` and `kwargs` hold what the remote exception was built with. */
export class PythonError extends Error {
  /** Python module the class lives in, used when it is sent back over the wire. */
  static remoteModule = 'builtins';
  args: unknown[] = [];
  kwargs: Record<string, unknown> = {};
  constructor(message?: string) {
    super(message);
    this.name = new.target.name;
  }
}
export class ValueError extends PythonError {}
export class LookupError extends PythonError {}
export class KeyError extends LookupError {}
export class IndexError extends LookupError {}
export class AttributeError extends PythonError {}
export class RuntimeError extends PythonError {}
export class NotImplementedError extends RuntimeError {}
export class ArithmeticError extends PythonError {}
export class ZeroDivisionError extends ArithmeticError {}
export class OverflowError extends ArithmeticError {}
export class AssertionError extends PythonError {}
export class OSError extends PythonError {}
export class FileNotFoundError extends OSError {}
export class PermissionError extends OSError {}
export class TimeoutError extends OSError {}
export class ConnectionError extends OSError {}

/** Python built-in class name → constructor used on this side. */
export const PYTHON_BUILTINS: Readonly<Record<string, new (message?: string) => Error>> = {
  Exception: Error,
  TypeError,
  ValueError,
  LookupError,
  KeyError,
  IndexError,
  AttributeError,
  RuntimeError,
  NotImplementedError,
  ArithmeticError,
  ZeroDivisionError,
  OverflowError,
  AssertionError,
  OSError,
  FileNotFoundError,
  PermissionError,
  TimeoutError,
  ConnectionError,
};

/** JavaScript native error name → the Python built-in name it travels as. */
export const JS_NATIVE_TO_PYTHON: Readonly<Record<string, string>> = {
  Error: 'Exception',
  TypeError: 'TypeError',
  RangeError: 'ValueError',
  SyntaxError: 'ValueError',
  ReferenceError: 'NameError',
  EvalError: 'Exception',
  URIError: 'ValueError',
  AggregateError: 'Exception',
};
