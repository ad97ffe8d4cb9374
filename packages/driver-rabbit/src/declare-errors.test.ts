import { PreconditionFailed } from '@oslo-messaging/core';
import { describe, expect, it } from 'vitest';
import { declareError, declareRecovery, replyCode } from './declare-errors.js';

// amqplib's channel errors carry the reply code and the broker's text.
const channelError = (code: number, text: string) =>
  Object.assign(new Error(`Operation failed: QueueDeclare; ${code} (${text.split(' ')[0]}) with message "${text}"`), {
    code,
  });

describe("upstream's recovery from declare errors", () => {
  it('falls back to non-durable once for an inequivalent durable flag', () => {
    const err = channelError(
      406,
      "PRECONDITION_FAILED - inequivalent arg 'durable' for queue 'q' in vhost '/': received 'true' but current is 'false'",
    );
    expect(declareRecovery(err, false)).toBe('non-durable');
    expect(declareRecovery(err, true)).toBe('fail');
    // The reverse (a non-durable declaration meeting a durable queue) is a plain refusal.
    expect(
      declareRecovery(
        channelError(
          406,
          "PRECONDITION_FAILED - inequivalent arg 'durable' for queue 'q' in vhost '/': received 'false' but current is 'true'",
        ),
        false,
      ),
    ).toBe('fail');
  });

  it('other 406s fail, as the typed PreconditionFailed with the broker text', () => {
    const err = channelError(
      406,
      "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'q' in vhost '/': received none but current is the value 'quorum'",
    );
    expect(declareRecovery(err, false)).toBe('fail');
    const typed = declareError(err, 'queue q');
    expect(typed).toBeInstanceOf(PreconditionFailed);
    expect(String((typed as Error).message)).toContain("inequivalent arg 'x-queue-type'");
    expect(declareError(new Error('socket closed'), 'queue q')).toEqual(new Error('socket closed'));
  });

  it('deletes and declares again a queue stuck on a dead node (404), waits on 541', () => {
    expect(
      declareRecovery(
        channelError(
          404,
          "NOT_FOUND - home node 'rabbit@n2' of durable queue 'q' in vhost '/' is down or inaccessible",
        ),
        false,
      ),
    ).toBe('delete-and-redeclare');
    expect(declareRecovery(channelError(541, 'INTERNAL_ERROR'), false)).toBe('wait-and-redeclare');
    expect(replyCode(new Error('Channel closed by server: 404 (NOT-FOUND) with message "x"'))).toBe(404);
    expect(declareRecovery(new Error('ECONNRESET'), false)).toBe('fail');
  });
});
