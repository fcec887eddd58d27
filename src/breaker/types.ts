/**
 * The public contract of the resilience core. Everything here is I/O-free: time comes from a Clock,
 * shared state from a BreakerStore.
 */
import type { Clock } from './clock.js';
import type { CircuitBreakerError, CircuitState, OverloadedError } from './errors.js';

export interface BreakerPolicy {
  /** Consecutive failures that open the circuit (PyBreaker's fail_max). Default 5. */
  failMax: number;
  /** How long the circuit stays open before it is half-open. Default 60 000 ms. */
  resetTimeoutMs: number;
  /** Trial calls admitted while half-open; every other caller fails fast. Default 1. */
  halfOpenMaxCalls: number;
  /** Trial successes that close the circuit. Default 1. */
  successThreshold: number;
  /** Errors for which this returns true count as successes (PyBreaker's `exclude`). */
  exclude?: (error: unknown) => boolean;
  /** Also trip when the failure rate over the last `window` calls reaches `threshold` (0..1), once `minCalls` calls are in the window. */
  failureRate?: { threshold: number; window: number; minCalls?: number };
  /** Multiply the reset timeout by `multiplier` on each consecutive re-trip, up to `maxResetTimeoutMs`. */
  backoff?: { multiplier: number; maxResetTimeoutMs: number };
}

export interface GuardOptions {
  /** The upstream's name; it names the circuit in errors, events and health. */
  name: string;
  clock?: Clock;
  /** `false` disables the breaker entirely (the plan's no-breaker baseline). */
  breaker?: Partial<BreakerPolicy> | false;
  /** Per-call deadline; undefined or 0 means none. */
  timeoutMs?: number;
  /** Calls in flight at once; default unbounded. */
  maxConcurrent?: number;
  /** Callers that may wait for a slot; default 0 (reject at once with `overloaded`). */
  maxQueue?: number;
  /** Where the circuit's state lives; default in memory. */
  store?: BreakerStore;
  /** Told when an event listener throws (the call goes on regardless); default a process warning. */
  onListenerError?: (error: unknown, event: GuardEvent) => void;
}

/** What `/health` shows for one upstream (the plan's `.circuit_breakers.orchestrator`). */
export interface GuardSnapshot {
  state: CircuitState;
  fail_counter: number;
  fail_max: number;
  reset_timeout_s: number;
  /** ISO time the circuit last opened, or null. */
  opened_at: string | null;
  /** Milliseconds until a trial call will be admitted; 0 when closed or half-open. */
  retry_after_ms: number;
  in_flight: number;
  queued: number;
  /** Set when an operator forced the state. */
  forced?: 'open' | 'closed';
  /** Set when the guard runs without a breaker (`breaker: false`): state is always closed. */
  disabled?: true;
}

export type StateChangeReason =
  | 'failure_threshold'
  | 'failure_rate'
  | 'reset_timeout'
  | 'trial_success'
  | 'trial_failure'
  | 'forced_open'
  | 'forced_closed'
  | 'reset'
  | 'remote';

export type GuardEvent =
  | { type: 'state_change'; name: string; from: CircuitState; to: CircuitState; fail_counter: number; reason: StateChangeReason }
  | { type: 'success'; name: string; duration_ms: number }
  | { type: 'failure'; name: string; duration_ms: number; error: unknown }
  | { type: 'rejection'; name: string; error: CircuitBreakerError | OverloadedError };

/** How a caller cancels a guarded call: with a signal of its own, or by lending the call its controller. */
export interface ExecuteOptions {
  /** The caller's cancellation: when it aborts, the call fails at once with its reason. */
  signal?: AbortSignal;
  /**
   * Instead of `signal`: the caller's own controller, whose signal `fn` gets. The guard aborts it on
   * the deadline; the caller aborts it to cancel, and the call then ends when `fn` gives up (undici
   * and fetch do at once). This spares a second AbortSignal and a listener per call, which a server
   * forwarding thousands of calls a second pays in full. A call ended by the caller's abort counts as
   * neither success nor failure; one ended by the deadline is OrchestratorError('timeout').
   */
  controller?: AbortController;
}

export interface Guard {
  readonly name: string;
  /**
   * Runs `fn` through bulkhead → breaker → timeout. `fn` gets an AbortSignal that aborts on the
   * deadline or when `options.signal` (the caller's cancellation) aborts. Throws the vocabulary of
   * errors.ts: OrchestratorError (reason `timeout` on the deadline; `trippedCircuit` set on the call
   * that opened the circuit), CircuitBreakerError, OverloadedError; other errors from `fn` pass through.
   * A call cancelled by its caller counts as neither success nor failure.
   */
  execute<T>(fn: (signal: AbortSignal) => Promise<T>, options?: ExecuteOptions): Promise<T>;
  /**
   * The CircuitBreakerError `execute` would reject a call with right now (circuit open, or half-open
   * with every trial slot taken), reported as the same `rejection` event; null when a call would go
   * on to the bulkhead. Takes no slot and no trial, so a caller can answer a fast-fail synchronously
   * and hand everything else to `execute`.
   */
  rejectNow(): CircuitBreakerError | null;
  /** Time-aware: after the reset timeout it reports `half_open` without waiting for a call. */
  snapshot(): GuardSnapshot;
  /** Subscribes to events; a throwing listener is reported through `onListenerError`, never propagated. Returns an unsubscribe function. */
  on(listener: (event: GuardEvent) => void): () => void;
  /**
   * Operator controls; a forced state holds until `reset()` or the other force. They take effect at
   * once with the memory store; with a shared store they return the pending write.
   */
  forceOpen(): void | Promise<void>;
  forceClosed(): void | Promise<void>;
  /** Back to closed with counters at 0, releasing any forced state. */
  reset(): void | Promise<void>;
  /** Stops the guard's timers and its store subscription. */
  dispose(): void;
}

/**
 * The breaker's shared fields. Every transition replaces the whole record with a new one carrying
 * `version + 1`, so a store only has to offer compare-and-set to make transitions atomic.
 */
export interface BreakerRecord {
  version: number;
  state: CircuitState;
  failCounter: number;
  /** Epoch ms of the last opening, or null. */
  openedAt: number | null;
  /** Consecutive trips without closing (drives backoff). */
  trips: number;
  /** Trial calls currently admitted, each with the epoch ms after which its slot is free again. */
  trialLeases: number[];
  /** Trial successes so far in this half-open period. */
  trialSuccesses: number;
  forced: 'open' | 'closed' | null;
}

/**
 * Where a circuit's record lives. The memory store answers synchronously; a shared store (Redis)
 * may answer with a promise. The state machine never changes; only where the record lives does.
 */
export interface BreakerStore {
  /** The current record as this process knows it (synchronous, no I/O). */
  read(): BreakerRecord;
  /**
   * Replaces `expected` with `next` if the stored version is still `expected.version`. Returns the
   * record now in force: `next` itself (the same object, not a copy) on success, the newer stored
   * record on conflict (the caller recomputes its transition on it and tries again). Identity is what
   * tells them apart: two replicas can compute equal records from the same base, and only one won.
   */
  compareAndSet(expected: BreakerRecord, next: BreakerRecord): BreakerRecord | Promise<BreakerRecord>;
  /** Changes made elsewhere (another replica); returns an unsubscribe function. */
  subscribe(listener: (record: BreakerRecord) => void): () => void;
  close?(): Promise<void>;
}
