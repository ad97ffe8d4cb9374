// Endpoint used by the worker-threads benchmark, in workers and on the main thread alike.
function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
export class BenchEndpoint {
  fib(_ctxt, { n }) {
    return fib(n);
  }
  echo(_ctxt, { v }) {
    return v;
  }
}
