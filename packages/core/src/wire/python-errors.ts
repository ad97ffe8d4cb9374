/**
 * JavaScript stand-ins for the Python built-in exceptions that commonly cross the wire, so a
 * `ValueError` raised by a Python server can be caught as a class here (and ours reach Python as the real thing).
 * Python's `TypeError` maps to JavaScript's own `TypeError`, and `Exception` to `Error`.
 */

/** Base of the Python built-in stand-ins; `args` and `kwargs` hold what the remote exception was built with. */
export class PythonError extends Error {
  /** Python module the class lives in, used when it is sent back over the wire. */
  static remoteModule = 'builtins';
  /** Positional arguments of the remote exception (Python's `args`). */
  args: unknown[] = [];
  /** Keyword arguments of the remote exception. */
  kwargs: Record<string, unknown> = {};
  /** @param message - the error message (Python's `str(exc)`) */
  constructor(message?: string) {
    super(message);
    this.name = new.target.name;
  }
}
/** Python's `ValueError`: an argument has the right type but a bad value. */
export class ValueError extends PythonError {}
/** Python's `LookupError`: base of `KeyError` and `IndexError`. */
export class LookupError extends PythonError {}
/** Python's `KeyError`: a missing mapping key. */
export class KeyError extends LookupError {}
/** Python's `IndexError`: a sequence index out of range. */
export class IndexError extends LookupError {}
/** Python's `AttributeError`: a missing attribute. */
export class AttributeError extends PythonError {}
/** Python's `RuntimeError`. */
export class RuntimeError extends PythonError {}
/** Python's `NotImplementedError`. */
export class NotImplementedError extends RuntimeError {}
/** Python's `ArithmeticError`: base of the arithmetic errors. */
export class ArithmeticError extends PythonError {}
/** Python's `ZeroDivisionError`. */
export class ZeroDivisionError extends ArithmeticError {}
/** Python's `OverflowError`. */
export class OverflowError extends ArithmeticError {}
/** Python's `AssertionError`: a failed `assert`. */
export class AssertionError extends PythonError {}
/** Python's `OSError`: base of the operating-system errors. */
export class OSError extends PythonError {}
/** Python's `FileNotFoundError`. */
export class FileNotFoundError extends OSError {}
/** Python's `PermissionError`. */
export class PermissionError extends OSError {}
/** Python's `TimeoutError` (a Python built-in, not oslo's `MessagingTimeout`). */
export class TimeoutError extends OSError {}
/** Python's `ConnectionError`. */
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
