/**
 * The child side of a fault scenario (see {@link runScenario}): helpers for a plain Node script that
 * runs with Node's defaults — no process-level handlers — and reports what happened as one JSON
 * line per event on stdout. Nothing here catches unhandled rejections: a library bug must crash
 * the child, and the parent test sees it.
 *
 * @packageDocumentation
 */
import { createInterface } from 'node:readline';

/** Prefix of a record line on the child's stdout. */
export const RECORD_PREFIX = '@@oslo-scenario ';

/** One event reported by a scenario. `event` names it; the rest is free-form JSON. */
export interface ScenarioRecord {
  readonly event: string;
  readonly [field: string]: unknown;
}

/** What {@link timed} records for each operation. */
export interface SettledRecord extends ScenarioRecord {
  readonly event: 'settled';
  /** A label of the operation, e.g. `call` or `cast`. */
  readonly op: string;
  readonly ok: boolean;
  /** Error class name when the operation failed (`MessagingTimeout`, ...). */
  readonly error?: string;
  readonly message?: string;
  /** Milliseconds from the start of the operation to its settlement. */
  readonly elapsedMs: number;
  /** The operation's own deadline in milliseconds (its timeout), when it has one. */
  readonly limitMs?: number;
  /** Wall-clock time of the start (ms since the epoch), to relate operations to staged faults. */
  readonly startedAt: number;
}

/** Writes a record line for the parent. */
export function report(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${RECORD_PREFIX}${JSON.stringify({ event, ...fields })}\n`);
}

/**
 * Runs `fn`, measures it and reports a {@link SettledRecord}. Never throws: the outcome is the
 * record (and the returned value), so a scenario can keep going through a fault.
 */
export async function timed<T>(
  op: string,
  limitSeconds: number | undefined,
  fn: () => Promise<T>,
  extra: Record<string, unknown> = {},
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  const startedAt = Date.now();
  const t0 = performance.now();
  const limit = limitSeconds === undefined ? {} : { limitMs: limitSeconds * 1000 };
  try {
    const value = await fn();
    report('settled', { op, ok: true, elapsedMs: Math.round(performance.now() - t0), startedAt, ...limit, ...extra });
    return { ok: true, value };
  } catch (error) {
    const e = error as { name?: string; message?: string };
    report('settled', {
      op,
      ok: false,
      error: e?.name ?? typeof error,
      message: String(e?.message ?? error).slice(0, 300),
      elapsedMs: Math.round(performance.now() - t0),
      startedAt,
      ...limit,
      ...extra,
    });
    return { ok: false, error };
  }
}

let lines: AsyncIterator<string> | undefined;

/** The next line the parent sent on stdin (see `ScenarioRun.send`); `undefined` at end of input. */
export async function nextCommand(): Promise<string | undefined> {
  lines ??= createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const r = await lines.next();
  return r.done ? undefined : r.value;
}

/** Waits for the parent to send exactly `command`; throws on any other line or end of input. */
export async function waitForCommand(command: string): Promise<void> {
  const got = await nextCommand();
  if (got !== command) throw new Error(`scenario expected the command "${command}", got ${JSON.stringify(got)}`);
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
