// An endpoint module loaded inside worker threads by the tests.
import { threadId } from 'node:worker_threads';

function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export class QuotaExceeded extends Error {}

export class HeavyEndpoint {
  fib(_ctxt, { n }) {
    return fib(n);
  }
  whoami() {
    return threadId;
  }
  quota(_ctxt, { limit }) {
    throw new QuotaExceeded(`over quota ${limit}`);
  }
  bad_type() {
    throw new TypeError('not a number');
  }
  crash() {
    process.exit(3);
  }
  sleep(_ctxt, { ms }) {
    return new Promise((resolve) => setTimeout(() => resolve(ms), ms));
  }
  user(ctxt) {
    return ctxt.user_id;
  }
}
