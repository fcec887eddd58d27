/**
 * A concurrency limit: `maxConcurrent` calls in flight, `maxQueue` callers waiting for a slot (default
 * none: reject at once). A rejection is an OverloadedError and is never an upstream failure.
 */
import { OverloadedError } from './errors.js';
import { withoutStack } from './no-stack.js';

interface Waiter {
  grant(): void;
  fail(error: unknown): void;
}

export interface BulkheadOptions {
  name: string;
  maxConcurrent?: number;
  maxQueue?: number;
}

export class Bulkhead {
  readonly name: string;
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  private active = 0;
  private readonly waiters: Waiter[] = [];

  constructor(options: BulkheadOptions) {
    this.name = options.name;
    this.maxConcurrent = options.maxConcurrent ?? Infinity;
    this.maxQueue = options.maxQueue ?? 0;
    if (!(this.maxConcurrent === Infinity || (Number.isInteger(this.maxConcurrent) && this.maxConcurrent >= 1))) {
      throw new RangeError(`maxConcurrent must be a whole number >= 1, got ${this.maxConcurrent}`);
    }
    if (!(this.maxQueue === Infinity || (Number.isInteger(this.maxQueue) && this.maxQueue >= 0))) {
      throw new RangeError(`maxQueue must be a whole number >= 0, got ${this.maxQueue}`);
    }
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /**
   * Takes a slot: returns true when one was free, a promise that settles when a slot is handed over,
   * or throws OverloadedError when the queue is full too. A waiter whose `signal` aborts leaves the
   * queue and rejects with the signal's reason.
   */
  acquire(signal?: AbortSignal): true | Promise<void> {
    if (this.active < this.maxConcurrent) {
      this.active++;
      return true;
    }
    if (this.waiters.length >= this.maxQueue) throw withoutStack(() => this.overloaded());
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.remove(waiter);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        fail: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Frees a slot, handing it straight to the longest-waiting caller if there is one. */
  release(): void {
    if (this.waiters.length === 0) this.active--;
    else (this.waiters.shift() as Waiter).grant();
  }

  /** Releases every waiting caller at once with `error` (the circuit opened: waiting is pointless). */
  rejectQueued(error: () => unknown): void {
    for (const waiter of this.waiters.splice(0)) waiter.fail(error());
  }

  /** Runs `fn` in a slot. */
  async execute<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const slot = this.acquire(signal);
    if (slot !== true) await slot;
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private remove(waiter: Waiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
  }

  private overloaded(): OverloadedError {
    const limit = `${this.maxConcurrent} in flight${this.maxQueue > 0 ? `, ${this.maxQueue} waiting` : ''}`;
    return new OverloadedError(`'${this.name}' is at its concurrency limit (${limit}); try again shortly`, { upstream: this.name });
  }
}
