/**
 * Runs a call with its own deadline and its own AbortSignal. On the deadline the signal aborts (so the
 * caller's socket is closed) and the call fails at once with OrchestratorError('timeout'), even if `fn`
 * ignores the signal. When the caller's own signal aborts, the call's signal aborts with the caller's
 * reason and the call rejects with it at once.
 */
import { setMaxListeners } from 'node:events';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { Deadlines } from './deadlines.js';
import { OrchestratorError } from './errors.js';

export interface TimeoutOptions {
  name: string;
  /** 0 or undefined: no deadline (the caller's signal still cancels). */
  timeoutMs?: number;
  clock?: Clock;
}

export class Timeout {
  readonly name: string;
  readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly deadlines: Deadlines;

  constructor(options: TimeoutOptions) {
    this.name = options.name;
    this.timeoutMs = options.timeoutMs ?? 0;
    if (!(Number.isFinite(this.timeoutMs) && this.timeoutMs >= 0)) {
      throw new RangeError(`timeoutMs must be a number of milliseconds >= 0, got ${options.timeoutMs}`);
    }
    this.clock = options.clock ?? systemClock;
    this.deadlines = new Deadlines(this.clock);
  }

  /** Calls whose deadline is still pending. */
  get pending(): number {
    return this.deadlines.size;
  }

  execute<T>(fn: (signal: AbortSignal) => Promise<T>, callerSignal?: AbortSignal): Promise<T> {
    const controller = new AbortController();
    // Many libraries add a listener to the signal per request; that is not a leak here.
    setMaxListeners(0, controller.signal);
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const onCallerAbort = (): void => {
        if (settled) return;
        finish();
        controller.abort(callerSignal?.reason);
        reject(callerSignal?.reason);
      };
      const deadline =
        this.timeoutMs > 0
          ? this.deadlines.add(this.clock.now() + this.timeoutMs, () => {
              if (settled) return;
              finish();
              const error = this.timeoutError();
              controller.abort(error);
              reject(error);
            })
          : null;
      const finish = (): void => {
        settled = true;
        if (deadline) this.deadlines.remove(deadline);
        callerSignal?.removeEventListener('abort', onCallerAbort);
      };
      callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
      let call: Promise<T>;
      try {
        call = fn(controller.signal);
      } catch (error) {
        call = Promise.reject(error);
      }
      call.then(
        (value) => {
          if (settled) return;
          finish();
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          finish();
          reject(error);
        },
      );
    });
  }

  private timeoutError(): OrchestratorError {
    return new OrchestratorError('timeout', `'${this.name}' did not answer within ${this.timeoutMs} ms`, { upstream: this.name });
  }
}
