import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Upstream's queue manager (`use_queue_manager`): reply and fanout queues get stable names,
 * `<hostname>:<processname>:<n>`, instead of random ones, so a restarted service finds the queues
 * of its previous run again (they expire through `x-expires`; none is deleted on close).
 *
 * As upstream, `n` counts the names handed out by the processes of one run of a service on this
 * host: the counter lives in `/dev/shm/<hostname>_<processname>_qmanager` as
 * `<process group>:<counter>:<start time>`, and starts over at 1 when the process group or its
 * start time (from `/proc`) changes, i.e. when the service restarts. Upstream serializes access
 * with an oslo.concurrency file lock; Node.js has no fcntl lock, so this uses an exclusive lock
 * file beside the counter (safe between Node.js processes; a Python and a Node.js service sharing
 * one hostname and processname is not supported).
 */
export class QueueManager {
  readonly #file: string;
  readonly #lock: string;
  readonly #group: number;
  readonly #startTime: number;

  constructor(
    readonly hostname: string,
    readonly processname: string,
    dir: string = existsSync('/dev/shm') ? '/dev/shm' : tmpdir(),
  ) {
    mkdirSync(dir, { recursive: true });
    this.#file = join(dir, `${hostname}_${processname}_qmanager`);
    this.#lock = `${this.#file}.lock`;
    const self = procStat('self');
    this.#group = self.pgrp;
    this.#startTime = procStat(String(self.pgrp || process.pid)).startTime;
  }

  /** The next name: `<hostname>:<processname>:<n>`. */
  get(): string {
    return `${this.hostname}:${this.processname}:${this.#withLock(() => this.#next())}`;
  }

  #next(): number {
    let counter = 0;
    let group = this.#group;
    let start = this.#startTime;
    try {
      const [g, c, s] = readFileSync(this.#file, 'utf8')
        .split('\n')[0]!
        .split(':')
        .map((x) => Number.parseInt(x, 10));
      if ([g, c, s].every((x) => Number.isInteger(x))) [group, counter, start] = [g!, c!, s!];
    } catch {
      // no counter yet
    }
    counter = group === this.#group && start === this.#startTime ? counter + 1 : 1;
    writeFileSync(this.#file, `${this.#group}:${counter}:${this.#startTime}`);
    return counter;
  }

  #withLock<T>(fn: () => T): T {
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        closeSync(openSync(this.#lock, 'wx'));
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        // A lock older than a few seconds belongs to a process that died holding it.
        try {
          if (Date.now() - statSync(this.#lock).mtimeMs > 5000 || Date.now() > deadline) unlinkSync(this.#lock);
        } catch {
          // gone meanwhile
        }
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
    }
    try {
      return fn();
    } finally {
      try {
        unlinkSync(this.#lock);
      } catch {
        // already gone
      }
    }
  }
}

/** Fields of `/proc/<pid>/stat` (see proc(5)): the process group (5th) and the start time in jiffies (22nd). */
function procStat(pid: string): { pgrp: number; startTime: number } {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pgrp: Number(fields[2]), startTime: Number(fields[19]) };
  } catch {
    return { pgrp: process.pid, startTime: 0 };
  }
}
