import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { MessagingException } from '@oslo-messaging/core';
import { deserializeRemoteException, type Failure } from '@oslo-messaging/core/spi';
import type { ResultMessage, TaskMessage } from './protocol.js';

const WORKER_FILE = new URL('./worker.js', import.meta.url);

/** Options of a {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /** Worker threads (default: the machine's available parallelism). */
  readonly size?: number | undefined;
  /** Tasks allowed to wait for a free worker; more are refused with {@link WorkerPoolFull} (default: unlimited). */
  readonly queueLimit?: number | undefined;
}

/** The pool's queue is full. */
export class WorkerPoolFull extends MessagingException {
  static override readonly code: string = 'OSLO_WORKER_POOL_FULL';
}

/** A worker thread died (exit, uncaught error) while running a task. */
export class WorkerCrashed extends MessagingException {
  static override readonly code: string = 'OSLO_WORKER_CRASHED';
}

interface Pending {
  readonly task: TaskMessage;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  current: Pending | undefined;
}

/** Rebuilds a worker-side failure keeping its class name and module, so the caller sees the endpoint's error. */
function rebuild(failure: Failure): Error {
  if (failure.module === 'builtins') return deserializeRemoteException(failure, []);
  const Named = { [failure.class]: class extends Error {} }[failure.class]!;
  Object.defineProperty(Named, 'remoteModule', { value: failure.module });
  const err = new Named(failure.message);
  err.name = failure.class;
  Object.assign(err, { remoteTraceback: failure.tb, args: failure.args, kwargs: failure.kwargs });
  return err;
}

/**
 * A pool of worker threads that run endpoint methods. A task that throws fails alone; a worker that
 * crashes fails only the task it was running and is replaced.
 */
export class WorkerPool {
  readonly size: number;
  readonly queueLimit: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  #nextId = 1;
  #closing: Promise<void> | undefined;
  #idleWaiters: Array<() => void> = [];

  constructor(options: WorkerPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? availableParallelism());
    this.queueLimit = options.queueLimit ?? Infinity;
  }

  /** Tasks running or waiting. */
  get pending(): number {
    return this.#queue.length + this.#slots.filter((s) => s.current).length;
  }

  /** Runs `method(ctxt, args)` of the endpoint `exportName` of `module` in a worker. */
  run(module: string, exportName: string, method: string, ctxt: unknown, args: unknown): Promise<unknown> {
    if (this.#closing) return Promise.reject(new MessagingException('The worker pool is closed'));
    if (this.#queue.length >= this.queueLimit)
      return Promise.reject(new WorkerPoolFull(`The worker pool queue is full (${this.queueLimit} waiting)`));
    return new Promise((resolve, reject) => {
      this.#queue.push({ task: { id: this.#nextId++, module, exportName, method, ctxt, args }, resolve, reject });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => !s.current);
      if (!slot && this.#slots.length < this.size) slot = this.#spawn();
      if (!slot) return;
      const p = this.#queue.shift()!;
      slot.current = p;
      try {
        slot.worker.postMessage(p.task);
      } catch (err) {
        slot.current = undefined;
        p.reject(new TypeError(`Arguments of ${p.task.method} cannot be sent to a worker: ${(err as Error).message}`));
      }
    }
    if (this.pending === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }

  #spawn(): Slot {
    const worker = new Worker(WORKER_FILE);
    worker.unref();
    const slot: Slot = { worker, current: undefined };
    this.#slots.push(slot);
    worker.on('message', (msg: ResultMessage) => {
      const p = slot.current;
      if (!p || p.task.id !== msg.id) return;
      slot.current = undefined;
      if (msg.ok) p.resolve(msg.result);
      else p.reject(rebuild(msg.failure));
      this.#dispatch();
    });
    const died = (why: string) => {
      const i = this.#slots.indexOf(slot);
      if (i < 0) return;
      this.#slots.splice(i, 1);
      const p = slot.current;
      slot.current = undefined;
      if (p) p.reject(new WorkerCrashed(`The worker thread running ${p.task.method} died: ${why}`));
      this.#dispatch();
    };
    worker.on('error', (err) => died(err.message));
    worker.on('exit', (code) => died(`exit code ${code}`));
    return slot;
  }

  /** Resolves when no task is running or waiting. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  /** Finishes running and queued tasks, then stops the workers. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.idle();
      const slots = this.#slots.splice(0);
      await Promise.all(slots.map((s) => s.worker.terminate()));
    })();
    return this.#closing;
  }
}
