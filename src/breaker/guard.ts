/**
 * One guard per upstream: bulkhead → breaker → timeout. An open circuit rejects before the bulkhead
 * (a caller is never queued only to be rejected), and when the circuit opens, callers waiting for a
 * bulkhead slot are released at once with the circuit error.
 */
import { setMaxListeners } from 'node:events';
import { CircuitBreaker } from './breaker.js';
import { Bulkhead } from './bulkhead.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { CircuitBreakerError, InvalidArgumentsError, OrchestratorError, OverloadedError, ShieldError } from './errors.js';
import { GuardEvents } from './events.js';
import type { Ticket } from './machine.js';
import { Timeout } from './timeout.js';
import type { ExecuteOptions, Guard, GuardEvent, GuardOptions, GuardSnapshot } from './types.js';

/** The signal handed to `fn` when there is neither a deadline nor a caller signal: it never aborts. */
const NEVER_ABORTED = new AbortController().signal;
setMaxListeners(0, NEVER_ABORTED);

const SETTLED = Promise.resolve();

/**
 * A promise that rejects once the caller has attached its handlers: one rejected before that costs
 * Node's unhandled-rejection bookkeeping about 1 µs, several times the rest of a fast rejection
 * (measured in bench/breaker.ts).
 */
function rejectSoon(error: unknown): Promise<never> {
  return new Promise<never>((_, reject) => {
    SETTLED.then(() => reject(error));
  });
}

/** The deadline's error: with a lent controller the guard itself aborts the caller's signal, and that is no cancellation. */
function isTimeout(error: unknown): boolean {
  return error instanceof OrchestratorError && error.reason === 'timeout';
}

export function createGuard(options: GuardOptions): Guard {
  return new ShieldGuard(options);
}

class ShieldGuard implements Guard {
  readonly name: string;
  private readonly clock: Clock;
  private readonly events: GuardEvents;
  private readonly bulkhead: Bulkhead;
  private readonly timeout: Timeout;
  private readonly breaker: CircuitBreaker | null;

  constructor(options: GuardOptions) {
    if (typeof options.name !== 'string' || options.name === '') throw new TypeError('a guard needs a non-empty name');
    this.name = options.name;
    this.clock = options.clock ?? systemClock;
    this.events = new GuardEvents(options.onListenerError);
    this.bulkhead = new Bulkhead({ name: this.name, maxConcurrent: options.maxConcurrent, maxQueue: options.maxQueue });
    this.timeout = new Timeout({ name: this.name, timeoutMs: options.timeoutMs, clock: this.clock });
    this.breaker =
      options.breaker === false
        ? null
        : new CircuitBreaker({
            name: this.name,
            policy: options.breaker,
            clock: this.clock,
            store: options.store,
            events: this.events,
            trialLeaseMs: this.timeout.timeoutMs,
            onOpen: (circuitError) => this.bulkhead.rejectQueued(() => this.rejected(circuitError())),
          });
  }

  /** The fast rejections happen here, synchronously; everything that may wait happens in `run`. */
  execute<T>(fn: (signal: AbortSignal) => Promise<T>, options?: ExecuteOptions): Promise<T> {
    const controller = options?.controller;
    const signal = controller?.signal ?? options?.signal;
    if (signal?.aborted) return rejectSoon(signal.reason);
    const rejection = this.breaker?.rejectFast();
    if (rejection) return rejectSoon(this.rejected(rejection));
    let slot: true | Promise<void>;
    try {
      slot = this.bulkhead.acquire(signal);
    } catch (error) {
      return rejectSoon(this.rejected(error));
    }
    return this.run(fn, signal, controller, slot);
  }

  rejectNow(): CircuitBreakerError | null {
    const rejection = this.breaker?.rejectFast() ?? null;
    if (rejection) this.rejected(rejection);
    return rejection;
  }

  private async run<T>(
    fn: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal | undefined,
    controller: AbortController | undefined,
    slot: true | Promise<void>,
  ): Promise<T> {
    if (slot !== true) await slot;
    const breaker = this.breaker;
    try {
      let ticket: Ticket | null = null;
      if (breaker !== null) {
        try {
          const admitted = breaker.admit();
          ticket = admitted instanceof Promise ? await admitted : admitted;
        } catch (error) {
          throw this.rejected(error);
        }
      }
      const started = this.events.active ? this.clock.now() : 0;
      let value: T;
      try {
        if (controller !== undefined) value = await this.timeout.executeWith(fn, controller);
        else value = this.timeout.timeoutMs > 0 || signal !== undefined ? await this.timeout.execute(fn, signal) : await fn(NEVER_ABORTED);
      } catch (error) {
        const settled = this.settleFailure(ticket, error, signal, started);
        if (settled !== undefined) await settled;
        throw error;
      }
      if (ticket !== null && breaker !== null) {
        const recorded = breaker.onSuccess(ticket);
        if (recorded !== undefined) await recorded;
      }
      if (this.events.active) this.events.emit({ type: 'success', name: this.name, duration_ms: this.clock.now() - started });
      return value;
    } finally {
      this.bulkhead.release();
    }
  }

  snapshot(): GuardSnapshot {
    const inFlight = { in_flight: this.bulkhead.inFlight, queued: this.bulkhead.queued };
    if (this.breaker === null) {
      return { state: 'closed', fail_counter: 0, fail_max: 0, reset_timeout_s: 0, opened_at: null, retry_after_ms: 0, ...inFlight, disabled: true };
    }
    return { ...this.breaker.snapshot(), ...inFlight };
  }

  on(listener: (event: GuardEvent) => void): () => void {
    return this.events.on(listener);
  }

  forceOpen(): void | Promise<void> {
    return this.requireBreaker('forceOpen').forceOpen();
  }

  forceClosed(): void | Promise<void> {
    return this.requireBreaker('forceClosed').forceClosed();
  }

  reset(): void | Promise<void> {
    return this.requireBreaker('reset').reset();
  }

  dispose(): void {
    this.breaker?.dispose();
  }

  /**
   * Books a failed call with the breaker. The caller's cancellation and invalid arguments are no
   * verdict on the upstream; `exclude` matches count as successes; everything else is a failure,
   * and the failure that opened the circuit is marked on its own error.
   */
  private settleFailure(ticket: Ticket | null, error: unknown, signal: AbortSignal | undefined, started: number): void | Promise<void> {
    const breaker = this.breaker;
    if ((signal?.aborted && !isTimeout(error)) || error instanceof InvalidArgumentsError) return ticket === null ? undefined : breaker?.onCancel(ticket);
    if (breaker?.policy.exclude?.(error)) {
      if (this.events.active) this.events.emit({ type: 'success', name: this.name, duration_ms: this.clock.now() - started });
      return ticket === null ? undefined : breaker.onSuccess(ticket);
    }
    const reportFailure = (trippedCircuit: boolean): void => {
      if (trippedCircuit) this.markTrip(error);
      if (this.events.active) this.events.emit({ type: 'failure', name: this.name, duration_ms: this.clock.now() - started, error });
    };
    if (ticket === null || breaker === null) return reportFailure(false);
    const tripped = breaker.onFailure(ticket);
    if (tripped instanceof Promise) return tripped.then(reportFailure);
    reportFailure(tripped);
  }

  private markTrip(error: unknown): void {
    if (error instanceof OrchestratorError) error.trippedCircuit = true;
    if (error instanceof ShieldError) {
      const record = (this.breaker as CircuitBreaker).record;
      error.circuit = { state: 'open', fail_counter: record.failCounter };
    }
  }

  /** Reports a fast rejection as an event and hands the error back to be thrown. */
  private rejected(error: unknown): unknown {
    if (this.events.active && (error instanceof CircuitBreakerError || error instanceof OverloadedError)) {
      this.events.emit({ type: 'rejection', name: this.name, error });
    }
    return error;
  }

  private requireBreaker(operation: string): CircuitBreaker {
    if (this.breaker === null) throw new TypeError(`guard '${this.name}' runs without a breaker (breaker: false); ${operation}() has nothing to act on`);
    return this.breaker;
  }
}
