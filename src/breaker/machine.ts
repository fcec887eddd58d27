/**
 * The breaker's state machine as pure functions of (record, event, policy, now). Nothing here reads a
 * clock, keeps state or does I/O: the caller reads a record from the store, computes the next one
 * here and commits it with compare-and-set, recomputing on the newer record after a conflict.
 *
 * Which calls may change the record is decided by their ticket: a call admitted while closed carries
 * the `openedAt` of that closed period, a trial carries its half-open period's `openedAt` and its
 * lease. An outcome whose period has ended (the circuit opened, closed or was reset since) changes
 * nothing, so calls admitted before a trip that fail after it do not count on (gobreaker's generations).
 */
import type { CircuitState } from './errors.js';
import type { BreakerPolicy, BreakerRecord, StateChangeReason } from './types.js';

export function initialRecord(version = 0): BreakerRecord {
  return { version, state: 'closed', failCounter: 0, openedAt: null, trips: 0, trialLeases: [], trialSuccesses: 0, forced: null };
}

/** What a call admitted by the breaker must report back with its outcome. */
export interface Ticket {
  trial: boolean;
  openedAt: number | null;
  /** The trial's lease (epoch ms when its slot frees itself). */
  lease: number;
}

export type Admission =
  | { kind: 'pass'; ticket: Ticket }
  | { kind: 'trial'; ticket: Ticket; next: BreakerRecord }
  | { kind: 'reject'; state: CircuitState; retryAfterMs: number };

export type BreakerEvent =
  | { type: 'success'; ticket: Ticket; rateExceeded: boolean }
  | { type: 'failure'; ticket: Ticket; rateExceeded: boolean }
  | { type: 'cancel'; ticket: Ticket }
  | { type: 'force_open' }
  | { type: 'force_closed' }
  | { type: 'reset' };

export interface Transition {
  record: BreakerRecord;
  /** Why the state changed, when it did. */
  reason?: StateChangeReason;
}

/** The reset timeout in force for this opening: the configured one, multiplied per re-trip when backoff is on. */
export function resetTimeoutFor(record: BreakerRecord, policy: BreakerPolicy): number {
  const { backoff } = policy;
  if (!backoff || record.trips <= 1) return policy.resetTimeoutMs;
  return Math.min(policy.resetTimeoutMs * backoff.multiplier ** (record.trips - 1), backoff.maxResetTimeoutMs);
}

/** Time-aware: an open circuit whose reset timeout has elapsed is half-open, whether or not a call came. */
export function effectiveState(record: BreakerRecord, policy: BreakerPolicy, now: number): CircuitState {
  if (record.state !== 'open' || record.forced === 'open') return record.state;
  return now >= (record.openedAt ?? 0) + resetTimeoutFor(record, policy) ? 'half_open' : 'open';
}

/** Milliseconds until a trial may be admitted: 0 unless the circuit is (unforced) open and waiting. */
export function retryAfterMs(record: BreakerRecord, policy: BreakerPolicy, now: number): number {
  if (record.forced === 'open') return resetTimeoutFor(record, policy);
  if (record.state !== 'open') return 0;
  return Math.max(0, (record.openedAt ?? 0) + resetTimeoutFor(record, policy) - now);
}

/**
 * Whether a call may go ahead. Closed: yes, without a write. Open: no. Half-open: yes as a trial if a
 * trial slot is free (expired leases free theirs), which takes a lease in the returned `next` record.
 */
export function decideAdmission(record: BreakerRecord, policy: BreakerPolicy, now: number, leaseMs: number): Admission {
  if (record.forced === 'closed' || (record.state === 'closed' && record.forced === null)) {
    return { kind: 'pass', ticket: { trial: false, openedAt: record.openedAt, lease: 0 } };
  }
  const state = effectiveState(record, policy, now);
  if (state === 'open') return { kind: 'reject', state, retryAfterMs: retryAfterMs(record, policy, now) };
  const leases = liveLeases(record, now);
  if (leases.length >= policy.halfOpenMaxCalls) return { kind: 'reject', state, retryAfterMs: 0 };
  const lease = now + leaseMs;
  const next: BreakerRecord = {
    ...record,
    version: record.version + 1,
    state: 'half_open',
    trialLeases: [...leases, lease],
    trialSuccesses: record.state === 'half_open' ? record.trialSuccesses : 0,
  };
  return { kind: 'trial', ticket: { trial: true, openedAt: record.openedAt, lease }, next };
}

function liveLeases(record: BreakerRecord, now: number): number[] {
  return record.trialLeases.every((lease) => lease > now) ? record.trialLeases : record.trialLeases.filter((lease) => lease > now);
}

/** Whether the outcome of a call with this ticket still belongs to the record's current period. */
export function ticketIsCurrent(record: BreakerRecord, ticket: Ticket): boolean {
  if (record.forced !== null || record.openedAt !== ticket.openedAt) return false;
  return ticket.trial ? record.state === 'half_open' : record.state === 'closed';
}

/** The next record after `event`, or null when nothing changes (no write needed). */
export function transition(record: BreakerRecord, event: BreakerEvent, policy: BreakerPolicy, now: number): Transition | null {
  const version = record.version + 1;
  switch (event.type) {
    case 'force_open':
      return { record: { ...initialRecord(version), state: 'open', failCounter: record.failCounter, openedAt: now, forced: 'open' }, reason: 'forced_open' };
    case 'force_closed':
      return { record: { ...initialRecord(version), forced: 'closed', openedAt: record.openedAt }, reason: 'forced_closed' };
    case 'reset':
      return { record: initialRecord(version), reason: 'reset' };
    case 'cancel':
      return event.ticket.trial ? releaseLease(record, event.ticket) : null;
  }
  const { ticket } = event;
  if (!ticketIsCurrent(record, ticket)) return null;
  if (ticket.trial) {
    if (event.type === 'failure') return { record: trip(record, version, now, record.failCounter + 1), reason: 'trial_failure' };
    const successes = record.trialSuccesses + 1;
    if (successes >= policy.successThreshold) {
      return { record: { ...initialRecord(version), openedAt: record.openedAt }, reason: 'trial_success' };
    }
    const released = releaseLease(record, ticket);
    return { record: { ...(released?.record ?? record), version, trialSuccesses: successes } };
  }
  if (event.type === 'success') {
    if (event.rateExceeded) return { record: trip(record, version, now, 0), reason: 'failure_rate' };
    return record.failCounter === 0 ? null : { record: { ...record, version, failCounter: 0 } };
  }
  const failCounter = record.failCounter + 1;
  if (failCounter >= policy.failMax) return { record: trip(record, version, now, failCounter), reason: 'failure_threshold' };
  if (event.rateExceeded) return { record: trip(record, version, now, failCounter), reason: 'failure_rate' };
  return { record: { ...record, version, failCounter } };
}

/** Opens the circuit with a fresh `openedAt`; the counter counts on (PyBreaker does not reset it on opening). */
function trip(record: BreakerRecord, version: number, now: number, failCounter: number): BreakerRecord {
  return {
    ...record,
    version,
    state: 'open',
    failCounter,
    openedAt: now,
    trips: record.trips + 1,
    trialLeases: [],
    trialSuccesses: 0,
  };
}

function releaseLease(record: BreakerRecord, ticket: Ticket): Transition | null {
  if (record.state !== 'half_open' || record.openedAt !== ticket.openedAt) return null;
  const index = record.trialLeases.indexOf(ticket.lease);
  if (index < 0) return null;
  const trialLeases = record.trialLeases.filter((_, i) => i !== index);
  return { record: { ...record, version: record.version + 1, trialLeases } };
}
