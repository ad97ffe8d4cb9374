// For tests of structures that churn at message rate (core's IdTable, the AMQP 1.0 driver's sends in
// flight): runs a churn script (one that calls printPromotion of measure-promotion.mjs) in a child process
// with the flags that make its collections deterministic, and returns how many KB it promoted.
import { execFileSync } from 'node:child_process';

/** KB promoted by `script` run with `variant` as its argument (e.g. `Map`, or the structure under test). */
export function promotedKB(script: string, variant: string): number {
  const out = execFileSync(process.execPath, ['--expose-gc', '--single-threaded-gc', script, variant], {
    encoding: 'utf8',
  });
  return (JSON.parse(out) as { promotedKB: number }).promotedKB;
}
