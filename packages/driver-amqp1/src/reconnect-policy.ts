/**
 * oslo.messaging's AMQP 1.0 reconnect policy: the URL's hosts in turn from a random first one, and a
 * delay that starts at `connection_retry_interval`, is multiplied by `connection_retry_backoff` after
 * each failed attempt up to `connection_retry_interval_max` (never below the first interval), and starts
 * over once a connection opens.
 */
export class ReconnectPolicy<H> {
  readonly #hosts: readonly H[];
  readonly #intervalMs: number;
  readonly #backoff: number;
  readonly #maxMs: number;
  #next: number;
  #delayMs: number;

  /**
   * @param hosts - the hosts to cycle through (at least one)
   * @param seconds - `interval`, `backoff` (a factor) and `max`, in oslo's option units (seconds)
   * @param start - index of the first host (random by default, as oslo)
   */
  constructor(
    hosts: readonly H[],
    seconds: { interval: number; backoff: number; max: number },
    start = Math.floor(Math.random() * hosts.length),
  ) {
    if (hosts.length === 0) throw new RangeError('ReconnectPolicy needs at least one host');
    this.#hosts = hosts;
    this.#intervalMs = seconds.interval * 1000;
    this.#backoff = seconds.backoff;
    this.#maxMs = seconds.max * 1000;
    this.#next = start % hosts.length;
    this.#delayMs = this.#intervalMs;
  }

  /** The host to dial now; each call moves on to the next one. */
  nextHost(): H {
    const host = this.#hosts[this.#next]!;
    this.#next = (this.#next + 1) % this.#hosts.length;
    return host;
  }

  /** Milliseconds to wait before the next attempt, after a lost connection or a failed attempt. */
  nextDelay(): number {
    const delay = this.#delayMs;
    // Never below the first interval: a backoff under 1 must not turn into a busy retry loop.
    this.#delayMs = Math.max(this.#intervalMs, Math.min(this.#delayMs * this.#backoff, this.#maxMs));
    return delay;
  }

  /** A connection opened: the next loss waits the initial interval again. */
  connected(): void {
    this.#delayMs = this.#intervalMs;
  }
}
