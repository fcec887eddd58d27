/**
 * The failure-rate policy's sliding window over the last N call outcomes (resilience4j's count-based
 * window). It is kept per process, not in the shared record: each replica judges the rate of the calls
 * it made itself, and a trip it decides is shared through the record like any other.
 */
export class FailureWindow {
  private readonly outcomes: Uint8Array;
  private next = 0;
  private size = 0;
  private failures = 0;

  constructor(
    private readonly capacity: number,
    private readonly threshold: number,
    private readonly minCalls: number,
  ) {
    this.outcomes = new Uint8Array(capacity);
  }

  /** Records an outcome; returns whether the failure rate now trips the circuit. */
  record(failed: boolean): boolean {
    if (this.size === this.capacity) this.failures -= this.outcomes[this.next] as number;
    else this.size++;
    this.outcomes[this.next] = failed ? 1 : 0;
    this.failures += failed ? 1 : 0;
    this.next = (this.next + 1) % this.capacity;
    return this.size >= this.minCalls && this.failures / this.size >= this.threshold;
  }

  reset(): void {
    this.next = 0;
    this.size = 0;
    this.failures = 0;
  }
}
