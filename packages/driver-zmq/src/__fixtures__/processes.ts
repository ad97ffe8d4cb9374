// Parent-side helpers of the zmq fault tests: server and client processes under the testkit fault
// harness (Node's defaults, so an unhandled rejection or an unlistened 'error' kills them and the test
// sees it), with commands to the client and its records back.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertHealthy, runScenario, type ScenarioResult, type ScenarioRun } from '@oslo-messaging/testkit';
import type { ScenarioRecord } from '@oslo-messaging/testkit/scenario';

const HERE = dirname(fileURLToPath(import.meta.url));
export const SERVER_SCRIPT = join(HERE, 'server.mjs');
export const CLIENT_SCRIPT = join(HERE, 'client.mjs');

/** A server process: its harness run, advertised address and pid. */
export interface ServerProcess {
  readonly name: string;
  readonly run: ScenarioRun;
  readonly address: string;
  readonly pid: number;
}

/** What a client reports when a batch or load ends. */
export interface Tally extends ScenarioRecord {
  readonly id: string;
  readonly ok: number;
  readonly failed: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly byPid: Readonly<Record<string, number>>;
}

/** One client command (see client.mjs). */
export interface Command {
  readonly kind?: 'call' | 'cast';
  readonly topic: string;
  readonly server?: string;
  readonly timeout?: number;
  readonly callMonitorTimeout?: number;
  readonly method?: string;
  readonly args?: Record<string, unknown>;
  readonly concurrency?: number;
  readonly intervalMs?: number;
  readonly retry?: number;
}

let ids = 0;

export async function startServer(
  url: string,
  topic: string,
  name: string,
  env?: Record<string, string>,
): Promise<ServerProcess> {
  const run = runScenario(SERVER_SCRIPT, { args: [url, topic, name], ...(env ? { env } : {}) });
  const ready = await run.waitFor('ready', 20_000);
  return { name, run, address: String(ready['address']), pid: Number(ready['pid']) };
}

/** SIGTERM: the server unregisters, cleans up and must exit by itself, healthy. */
export async function stopServer(s: ServerProcess): Promise<ScenarioResult> {
  s.run.child.kill('SIGTERM');
  const result = await s.run.done;
  assertHealthy(result);
  return result;
}

/** SIGKILL, and wait until it is gone. */
export async function killServer(s: ServerProcess): Promise<void> {
  s.run.child.kill('SIGKILL');
  await s.run.done;
}

/** A client process with one transport for the whole run. */
export class ClientProcess {
  readonly run: ScenarioRun;

  private constructor(run: ScenarioRun) {
    this.run = run;
  }

  static async start(url: string, env?: Record<string, string>): Promise<ClientProcess> {
    const run = runScenario(CLIENT_SCRIPT, { args: [url], ...(env ? { env } : {}) });
    await run.waitFor('started', 20_000);
    return new ClientProcess(run);
  }

  #send(command: Record<string, unknown>): void {
    this.run.send(JSON.stringify(command));
  }

  /** Runs `n` calls (or casts) and resolves with their tally. */
  async batch(n: number, c: Command, timeoutMs = 60_000): Promise<Tally> {
    const id = `b${++ids}`;
    this.#send({ op: 'batch', id, n, ...c });
    return (await this.run.waitFor((r) => r.event === 'done' && r['id'] === id, timeoutMs)) as Tally;
  }

  /** Starts calling in the background; `stop()` ends it and resolves with the tally. */
  async load(c: Command): Promise<{ id: string; stop: (timeoutMs?: number) => Promise<Tally> }> {
    const id = `l${++ids}`;
    this.#send({ op: 'load', id, ...c });
    await this.run.waitFor((r) => r.event === 'load-started' && r['id'] === id);
    return {
      id,
      stop: async (timeoutMs = 60_000) => {
        this.#send({ op: 'stop', id });
        return (await this.run.waitFor((r) => r.event === 'done' && r['id'] === id, timeoutMs)) as Tally;
      },
    };
  }

  /** Resolves with the first reply (of `id`, answered by `pid`) that the client reports. */
  waitForReply(match: { id?: string; pid?: number; after?: number }, timeoutMs = 30_000): Promise<ScenarioRecord> {
    return this.run.waitFor(
      (r) =>
        r.event === 'reply' &&
        (match.id === undefined || r['id'] === match.id) &&
        (match.pid === undefined || r['pid'] === match.pid) &&
        (match.after === undefined || Number(r['at']) >= match.after),
      timeoutMs,
    );
  }

  /** The settled records of command `id`. */
  settled(id: string): ScenarioRecord[] {
    return this.run.records.filter((r) => r.event === 'settled' && r['id'] === id);
  }

  /** Cleans up and exits; the run must be healthy (no crash, no unhandled rejection, nothing late). */
  async exit(timeoutMs = 30_000): Promise<ScenarioResult> {
    this.#send({ op: 'exit' });
    await this.run.waitFor('cleaned', timeoutMs);
    const result = await this.run.done;
    assertHealthy(result);
    return result;
  }
}

/**
 * The server and client processes one test file starts for `url`, each remembered so that
 * `killAll()` (in afterEach) ends them: resumed first, in case a test froze one with SIGSTOP.
 */
export function processPool(url: string) {
  const servers: ServerProcess[] = [];
  const clients: ClientProcess[] = [];
  return {
    async server(topic: string, name: string): Promise<ServerProcess> {
      const s = await startServer(url, topic, name);
      servers.push(s);
      return s;
    },
    async client(env?: Record<string, string>): Promise<ClientProcess> {
      const c = await ClientProcess.start(url, env);
      clients.push(c);
      return c;
    },
    killAll(): void {
      for (const s of servers.splice(0)) {
        s.run.child.kill('SIGCONT');
        s.run.child.kill('SIGKILL');
      }
      for (const c of clients.splice(0)) c.run.child.kill('SIGKILL');
    },
  };
}

/** Casts a server process reported handling. */
export const notes = (s: ServerProcess): number => s.run.records.filter((r) => r.event === 'note').length;
