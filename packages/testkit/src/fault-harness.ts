/**
 * The parent side of a fault scenario: runs a scenario script in a child process with Node's
 * defaults (so an unhandled rejection crashes it, as it would crash a user's service), lets the
 * test stage faults while it runs, and checks the outcome: the child did not die, printed no
 * unhandled-rejection or uncaught-exception warning, and no operation settled after its deadline.
 *
 * @packageDocumentation
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { RECORD_PREFIX, type ScenarioRecord, type SettledRecord } from './scenario.js';

/** Options of {@link runScenario}. */
export interface ScenarioOptions {
  /** Arguments after the script. */
  readonly args?: readonly string[];
  /** Extra environment (merged over the parent's, minus vitest's and NODE_OPTIONS). */
  readonly env?: Readonly<Record<string, string>>;
  /** The child is killed (and the run fails) after this long (default 120 s). */
  readonly killAfterMs?: number;
}

/** The finished run. */
export interface ScenarioResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly records: readonly ScenarioRecord[];
  /** The `settled` records. */
  readonly settled: readonly SettledRecord[];
  /** Whether the harness killed the child for running too long. */
  readonly killed: boolean;
}

/** A running scenario. */
export interface ScenarioRun {
  readonly child: ChildProcess;
  /** Records so far. */
  readonly records: readonly ScenarioRecord[];
  /** Resolves with the first record (already seen or future) that matches; rejects after `timeoutMs` or when the child exits first. */
  waitFor(match: string | ((r: ScenarioRecord) => boolean), timeoutMs?: number): Promise<ScenarioRecord>;
  /** Sends a line to the child's stdin (read with `nextCommand()` / `waitForCommand()`). */
  send(line: string): void;
  /** Resolves when the child exits. */
  readonly done: Promise<ScenarioResult>;
}

/** Output lines that mean the child met a failure a user's process would crash or warn on. */
export const CRASH_PATTERNS: readonly RegExp[] = [
  /UnhandledPromiseRejection/,
  /PromiseRejectionHandledWarning/,
  /Unhandled 'error' event/,
  /uncaughtException/i,
  /triggerUncaughtException/,
  /ERR_UNHANDLED_REJECTION/,
];

/** Starts `script` under `process.execPath` with Node's defaults. */
export function runScenario(script: string, options: ScenarioOptions = {}): ScenarioRun {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('VITEST') && k !== 'NODE_OPTIONS') env[k] = v;
  Object.assign(env, options.env);
  const child = spawn(process.execPath, [script, ...(options.args ?? [])], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const records: ScenarioRecord[] = [];
  const watchers = new Set<() => void>();
  let stdout = '';
  let stderr = '';
  let partial = '';
  let exited = false;
  let killed = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (!line.startsWith(RECORD_PREFIX)) continue;
      try {
        records.push(JSON.parse(line.slice(RECORD_PREFIX.length)) as ScenarioRecord);
      } catch {
        records.push({ event: 'unparsable-record', line });
      }
      for (const w of [...watchers]) w();
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.on('error', () => undefined); // the child may exit before reading everything
  const killTimer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, options.killAfterMs ?? 120_000);
  const done = new Promise<ScenarioResult>((resolve) => {
    child.on('close', (code, signal) => {
      exited = true;
      clearTimeout(killTimer);
      for (const w of [...watchers]) w();
      resolve({
        code,
        signal,
        stdout,
        stderr,
        records,
        settled: records.filter((r): r is SettledRecord => r.event === 'settled'),
        killed,
      });
    });
  });
  return {
    child,
    records,
    done,
    send: (line) => void child.stdin.write(`${line}\n`),
    waitFor(match, timeoutMs = 60_000) {
      const test = typeof match === 'string' ? (r: ScenarioRecord) => r.event === match : match;
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = records.find(test);
          if (hit) return finish(() => resolve(hit));
          if (exited)
            return finish(() =>
              reject(
                new Error(
                  `the scenario exited before reporting ${String(match)}\n--- stderr ---\n${stderr}\n--- stdout ---\n${stdout.slice(-4000)}`,
                ),
              ),
            );
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(new Error(`no ${String(match)} record within ${timeoutMs} ms\n--- stderr ---\n${stderr}`)),
            ),
          timeoutMs,
        );
        const finish = (f: () => void) => {
          clearTimeout(timer);
          watchers.delete(check);
          f();
        };
        watchers.add(check);
        check();
      });
    },
  };
}

/** Options of {@link assertHealthy}. */
export interface HealthOptions {
  /** How late an operation may settle past its `limitMs` (default 1000 ms: core's slack plus event-loop noise). */
  readonly slackMs?: number;
  /** Exit code expected (default 0). */
  readonly exitCode?: number;
}

/**
 * Throws a descriptive error unless the run was healthy: exit code as expected, not killed, no
 * crash or unhandled-rejection output, and every `settled` record within its limit plus `slackMs`.
 */
export function assertHealthy(result: ScenarioResult, options: HealthOptions = {}): void {
  const slack = options.slackMs ?? 1000;
  const problems: string[] = [];
  if (result.killed) problems.push('the scenario ran past its time limit and was killed');
  if (result.signal) problems.push(`the child died of ${result.signal}`);
  else if (result.code !== (options.exitCode ?? 0)) problems.push(`the child exited with code ${result.code}`);
  for (const p of CRASH_PATTERNS)
    if (p.test(result.stderr) || p.test(result.stdout)) problems.push(`the output matches ${p}`);
  const late = result.settled.filter((r) => r.limitMs !== undefined && r.elapsedMs > r.limitMs + slack);
  if (late.length > 0)
    problems.push(
      `${late.length} operation(s) settled after their deadline (+${slack} ms), e.g. ${JSON.stringify(late[0])}`,
    );
  const unparsable = result.records.filter((r) => r.event === 'unparsable-record');
  if (unparsable.length > 0) problems.push(`${unparsable.length} unparsable record line(s)`);
  if (problems.length > 0) {
    throw new Error(
      `unhealthy scenario:\n- ${problems.join('\n- ')}\n--- stderr (tail) ---\n${result.stderr.slice(-6000)}`,
    );
  }
}
