import { PreconditionFailed, TransportDriverError } from '@oslo-messaging/core';

/** The broker's AMQP reply code of an amqplib error (406, 404, 541, ...), if any. */
export function replyCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'number') return code;
  const m = /\b(4\d\d|5\d\d) \(/.exec(String((err as Error | null)?.message));
  return m ? Number(m[1]) : undefined;
}

/** Whether an amqplib error is the broker's 406 PRECONDITION_FAILED. */
export function isPrecondition(err: unknown): boolean {
  return replyCode(err) === 406 || /PRECONDITION_FAILED/.test(String((err as Error | null)?.message));
}

/** A declaration the broker refused with 406 as the typed {@link PreconditionFailed}; other errors as they are. */
export function declareError(err: unknown, what: string): unknown {
  if (!isPrecondition(err)) return err;
  const detail =
    /PRECONDITION_FAILED - [^"]*/.exec(String((err as Error).message))?.[0] ?? String((err as Error).message);
  return new PreconditionFailed(
    `RabbitMQ refused to declare ${what}: ${detail}. Another service declared it with other settings; align the configurations or delete it.`,
    { cause: err },
  );
}

/**
 * What upstream's `Consumer.declare` does when a queue declaration fails:
 * - `non-durable`: 406 "inequivalent arg 'durable'" for a durable declaration — a service sharing
 *   the exchange declared it non-durable first: declare exchange and queue non-durable, as it did;
 * - `delete-and-redeclare`: 404 — a non-durable queue stuck on an unresponsive cluster node: delete
 *   it and declare it again (it moves to a live node);
 * - `wait-and-redeclare`: 541 INTERNAL_ERROR while the connection is up: wait 2 s and declare again;
 * - `fail`: anything else (other 406s become {@link PreconditionFailed}).
 */
export type DeclareRecovery = 'non-durable' | 'delete-and-redeclare' | 'wait-and-redeclare' | 'fail';

export function declareRecovery(err: unknown, alreadyNonDurable: boolean): DeclareRecovery {
  const code = replyCode(err);
  // Only when we asked for durable and the broker has it non-durable (upstream's case), never the reverse.
  if (
    code === 406 &&
    !alreadyNonDurable &&
    /inequivalent arg 'durable'.*received 'true' but current is 'false'/.test(String((err as Error).message))
  )
    return 'non-durable';
  if (code === 404) return 'delete-and-redeclare';
  if (code === 541) return 'wait-and-redeclare';
  return 'fail';
}

/**
 * Thrown by a recipe whose declaration failed in a way that a fresh channel fixes (the broker closed
 * this one); {@link ManagedConnection.addRecipe} runs the recipe again on the next channel.
 */
export class RetryOnNewChannel extends TransportDriverError {}
