/**
 * The circuit breaker: the state machine of machine.ts bound to a clock, a store and event listeners.
 *
 * Every change is one compare-and-set of a whole record; on a conflict (another replica wrote first)
 * the change is recomputed on the newer record. The hot paths never write: admission while closed
 * and rejection while open only read the record, and a success while the counter is already 0
 * changes nothing. The memory store answers synchronously, so with it no method returns a promise.
 */
import type { Clock, TimerHandle } from './clock.js';
import { MAX_TIMER_MS, systemClock } from './clock.js';
import type { CircuitState } from './errors.js';
import { CircuitBreakerError } from './errors.js';
import { GuardEvents } from './events.js';
import { FailureWindow } from './failure-window.js';
import type { Admission, BreakerEvent, Ticket, Transition } from './machine.js';
import { decideAdmission, effectiveState, resetTimeoutFor, retryAfterMs, ticketIsCurrent, transition } from './machine.js';
import { MemoryStore } from './memory-store.js';
import { resolvePolicy } from './policy.js';
import type { BreakerPolicy, BreakerRecord, BreakerStore, GuardSnapshot, StateChangeReason } from './types.js';

export interface CircuitBreakerOptions {
  name: string;
  policy?: Partial<BreakerPolicy>;
  clock?: Clock;
  store?: BreakerStore;
  events?: GuardEvents;
  /** How long a trial holds its slot: the call timeout; default the reset timeout in force. */
  trialLeaseMs?: number;
  /** Told when this process sees the circuit open (here or on another replica). */
  onOpen?: (circuitError: () => CircuitBreakerError) => void;
}

/** Conflicts in a row after which a store is considered broken rather than busy. */
const MAX_COMMIT_ATTEMPTS = 100;

type MaybePromise<T> = T | Promise<T>;

function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === 'function';
}

export class CircuitBreaker {
  readonly name: string;
  readonly policy: BreakerPolicy;
  readonly events: GuardEvents;
  private readonly clock: Clock;
  private readonly store: BreakerStore;
  private readonly trialLeaseMs: number | undefined;
  private readonly onOpen: ((circuitError: () => CircuitBreakerError) => void) | undefined;
  private readonly window: FailureWindow | null;
  private readonly unsubscribe: () => void;
  private seen: CircuitState;
  private seenVersion: number;
  private halfOpenTimer: TimerHandle | null = null;
  private halfOpenAt = NaN;
  private closedTicket: Ticket;

  constructor(options: CircuitBreakerOptions) {
    this.name = options.name;
    this.policy = resolvePolicy(options.policy);
    this.clock = options.clock ?? systemClock;
    this.store = options.store ?? new MemoryStore();
    this.events = options.events ?? new GuardEvents();
    this.trialLeaseMs = options.trialLeaseMs || undefined;
    this.onOpen = options.onOpen;
    const rate = this.policy.failureRate;
    this.window = rate ? new FailureWindow(rate.window, rate.threshold, rate.minCalls ?? rate.window) : null;
    const record = this.store.read();
    this.seen = effectiveState(record, this.policy, this.clock.now());
    this.seenVersion = record.version;
    this.closedTicket = { trial: false, openedAt: record.openedAt, lease: 0 };
    if (this.seen === 'open') this.scheduleHalfOpen(record);
    this.unsubscribe = this.store.subscribe((remote) => this.observe(remote, 'remote'));
  }

  /** The state now (time-aware: half-open once the reset timeout has elapsed). */
  get state(): CircuitState {
    return this.look().state;
  }

  get record(): BreakerRecord {
    return this.store.read();
  }

  /**
   * The rejection a call would get right now, judged from the record alone: open, or half-open with
   * every trial slot taken. Lets a guard fail fast before queueing a caller for the bulkhead.
   */
  rejectFast(): CircuitBreakerError | null {
    const record = this.store.read();
    if (record.state === 'closed' || record.forced === 'closed') return null;
    const now = this.clock.now();
    const wait = retryAfterMs(record, this.policy, now);
    if (wait > 0) return this.circuitError('open', record.failCounter, wait);
    const decision = decideAdmission(record, this.policy, now, 0);
    return decision.kind === 'reject' ? this.circuitError(decision.state, record.failCounter, decision.retryAfterMs) : null;
  }

  /** Admits a call or throws CircuitBreakerError. A half-open admission takes a trial lease (a write). */
  admit(): MaybePromise<Ticket> {
    const record = this.store.read();
    if (record.state === 'closed' && record.forced === null) {
      if (this.closedTicket.openedAt !== record.openedAt) this.closedTicket = { trial: false, openedAt: record.openedAt, lease: 0 };
      return this.closedTicket;
    }
    let decision: Admission | null = null;
    let decidedOn = record;
    const committed = this.commitFrom(record, (current, now) => {
      decidedOn = current;
      decision = decideAdmission(current, this.policy, now, this.trialLeaseMs ?? resetTimeoutFor(current, this.policy));
      return decision.kind === 'trial' ? { record: decision.next } : null;
    });
    const settle = (): Ticket => this.ticketOrRejection(decision, decidedOn);
    return isPromise(committed) ? committed.then(settle) : settle();
  }

  /** Records a success: nothing to write while closed with the counter at 0. */
  onSuccess(ticket: Ticket): MaybePromise<void> {
    if (!ticket.trial && this.window === null && this.store.read().failCounter === 0) return;
    const rateExceeded = this.recordInWindow(ticket, false);
    const committed = this.commit((record, now) => transition(record, { type: 'success', ticket, rateExceeded }, this.policy, now));
    if (isPromise(committed)) return committed.then(() => undefined);
  }

  /** Records a failure; returns true when this very failure opened the circuit. */
  onFailure(ticket: Ticket): MaybePromise<boolean> {
    const rateExceeded = this.recordInWindow(ticket, true);
    const committed = this.commit((record, now) => transition(record, { type: 'failure', ticket, rateExceeded }, this.policy, now));
    return isPromise(committed) ? committed.then(tripped) : tripped(committed);
  }

  /** A call that ended without a verdict (cancelled by its caller, invalid arguments): frees its trial lease. */
  onCancel(ticket: Ticket): MaybePromise<void> {
    if (!ticket.trial) return;
    return this.apply({ type: 'cancel', ticket });
  }

  forceOpen(): MaybePromise<void> {
    return this.apply({ type: 'force_open' });
  }

  forceClosed(): MaybePromise<void> {
    return this.apply({ type: 'force_closed' });
  }

  reset(): MaybePromise<void> {
    return this.apply({ type: 'reset' });
  }

  /** Runs `fn` through the breaker alone (no bulkhead, no timeout). */
  async execute<T>(fn: () => Promise<T>): Promise<T> {
    const admitted = this.admit();
    const ticket = isPromise(admitted) ? await admitted : admitted;
    let value: T;
    try {
      value = await fn();
    } catch (error) {
      if (this.policy.exclude?.(error)) await this.onSuccess(ticket);
      else await this.onFailure(ticket);
      throw error;
    }
    await this.onSuccess(ticket);
    return value;
  }

  /** The breaker's part of `/health`. */
  snapshot(): Omit<GuardSnapshot, 'in_flight' | 'queued'> {
    const { record, state, now } = this.look();
    const snapshot: Omit<GuardSnapshot, 'in_flight' | 'queued'> = {
      state,
      fail_counter: record.failCounter,
      fail_max: this.policy.failMax,
      reset_timeout_s: this.policy.resetTimeoutMs / 1000,
      opened_at: record.openedAt === null ? null : new Date(record.openedAt).toISOString(),
      retry_after_ms: Math.ceil(retryAfterMs(record, this.policy, now)),
    };
    if (record.forced !== null) snapshot.forced = record.forced;
    return snapshot;
  }

  /** Stops listening to the store and cancels the half-open timer. */
  dispose(): void {
    this.unsubscribe();
    this.halfOpenTimer?.cancel();
    this.halfOpenTimer = null;
  }

  private look(): { record: BreakerRecord; state: CircuitState; now: number } {
    const record = this.store.read();
    const now = this.clock.now();
    this.observe(record, record.version > this.seenVersion ? 'remote' : 'reset_timeout');
    return { record, state: effectiveState(record, this.policy, now), now };
  }

  private ticketOrRejection(decision: Admission | null, record: BreakerRecord): Ticket {
    if (decision !== null && decision.kind !== 'reject') return decision.ticket;
    throw this.circuitError(decision?.state ?? 'open', record.failCounter, decision?.retryAfterMs ?? 0);
  }

  private recordInWindow(ticket: Ticket, failed: boolean): boolean {
    if (this.window === null || ticket.trial || !ticketIsCurrent(this.store.read(), ticket)) return false;
    return this.window.record(failed);
  }

  private apply(event: BreakerEvent): MaybePromise<void> {
    const committed = this.commit((record, now) => transition(record, event, this.policy, now));
    if (isPromise(committed)) return committed.then(() => undefined);
  }

  private commit(compute: (record: BreakerRecord, now: number) => Transition | null): MaybePromise<Transition | null> {
    return this.commitFrom(this.store.read(), compute);
  }

  /** One atomic step: compute the next record from `current`, compare-and-set it, recompute on conflict. */
  private commitFrom(
    current: BreakerRecord,
    compute: (record: BreakerRecord, now: number) => Transition | null,
    attempt = 1,
  ): MaybePromise<Transition | null> {
    const next = compute(current, this.clock.now());
    if (next === null) return null;
    const stored = this.store.compareAndSet(current, next.record);
    const settle = (result: BreakerRecord): MaybePromise<Transition | null> => {
      // Identity, not equality: two replicas can compute equal records from the same base, and only
      // one of them won.
      if (result === next.record) {
        this.observe(result, next.reason ?? 'reset_timeout');
        return next;
      }
      this.observe(result, 'remote');
      if (attempt >= MAX_COMMIT_ATTEMPTS) {
        throw new Error(`circuit breaker '${this.name}': the store kept reporting conflicts (${attempt} attempts)`);
      }
      return this.commitFrom(result, compute, attempt + 1);
    };
    return isPromise(stored) ? stored.then(settle) : settle(stored);
  }

  /** Brings what this process has seen up to `record`, emitting a state change when the state moved. */
  private observe(record: BreakerRecord, reason: StateChangeReason): void {
    if (record.version < this.seenVersion) return;
    this.seenVersion = record.version;
    const state = effectiveState(record, this.policy, this.clock.now());
    if (state === 'open' && record.forced === null) this.scheduleHalfOpen(record);
    if (state === this.seen) return;
    const from = this.seen;
    this.seen = state;
    if (state === 'closed') this.window?.reset();
    if (this.events.active) {
      this.events.emit({ type: 'state_change', name: this.name, from, to: state, fail_counter: record.failCounter, reason });
    }
    if (state === 'open') this.onOpen?.(() => this.circuitError('open', record.failCounter, retryAfterMs(record, this.policy, this.clock.now())));
  }

  /** The half-open state needs no call to arrive, but its event needs a timer. */
  private scheduleHalfOpen(record: BreakerRecord): void {
    const due = (record.openedAt ?? 0) + resetTimeoutFor(record, this.policy);
    if (due === this.halfOpenAt) return;
    this.halfOpenTimer?.cancel();
    this.halfOpenAt = due;
    this.halfOpenTimer = this.clock.setTimer(Math.min(due - this.clock.now(), MAX_TIMER_MS), () => {
      this.halfOpenTimer = null;
      this.halfOpenAt = NaN;
      this.observe(this.store.read(), 'reset_timeout');
    });
  }

  private circuitError(state: CircuitState, failCounter: number, retryAfter: number): CircuitBreakerError {
    return CircuitBreakerError.failFast(this.name, { state, fail_counter: failCounter }, retryAfter);
  }
}

function tripped(committed: Transition | null): boolean {
  return committed?.reason === 'failure_threshold' || committed?.reason === 'failure_rate';
}
