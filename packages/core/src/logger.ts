/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * The logger every part of the library writes to. Compatible with pino, bunyan and console-style
 * loggers through a thin adapter; pass one as `logger` to the transport, or call {@link setDefaultLogger}.
 */
export interface Logger {
  /** Details for debugging (each message sent and received). */
  debug(message: string, fields?: LogFields): void;
  /** Normal but notable events (a reconnection). */
  info(message: string, fields?: LogFields): void;
  /** Something went wrong and was handled (a lost connection being retried). */
  warn(message: string, fields?: LogFields): void;
  /** Something failed (an endpoint raised, a message was dropped). */
  error(message: string, fields?: LogFields): void;
}

const LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
/** A level name, lowest first. */
export type LogLevel = (typeof LEVELS)[number];

/** A logger writing one line per record to stderr, at `level` and above. */
export function createConsoleLogger(level: LogLevel = 'warn', name = 'oslo.messaging'): Logger {
  const min = LEVELS.indexOf(level);
  const write = (lvl: Exclude<LogLevel, 'silent'>) => (message: string, fields?: LogFields) => {
    if (LEVELS.indexOf(lvl) < min) return;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${safeJson(fields)}` : '';
    process.stderr.write(`${new Date().toISOString()} ${lvl.toUpperCase()} ${name}: ${message}${extra}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message } : v));
  } catch {
    return '[unserializable fields]';
  }
}

function envLevel(): LogLevel {
  const v = process.env['OSLO_MESSAGING_LOG_LEVEL']?.toLowerCase();
  return (LEVELS as readonly string[]).includes(v ?? '') ? (v as LogLevel) : 'warn';
}

let defaultLogger: Logger = createConsoleLogger(envLevel());

/** The logger used when none is given (stderr, level from `OSLO_MESSAGING_LOG_LEVEL`, default `warn`). */
export function getDefaultLogger(): Logger {
  return defaultLogger;
}

/** Replaces the process-wide default logger. */
export function setDefaultLogger(logger: Logger): void {
  defaultLogger = logger;
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
