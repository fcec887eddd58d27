import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideAdmission, effectiveState, initialRecord, resetTimeoutFor, transition } from './machine.js';
import { resolvePolicy } from './policy.js';

const policy = resolvePolicy();

describe('machine (pure transitions)', () => {
  it('a success with the counter at 0 needs no write', () => {
    const record = initialRecord();
    const admission = decideAdmission(record, policy, 0, 1000);
    assert.equal(admission.kind, 'pass');
    if (admission.kind !== 'pass') return;
    assert.equal(transition(record, { type: 'success', ticket: admission.ticket, rateExceeded: false }, policy, 0), null);
    const failed = transition(record, { type: 'failure', ticket: admission.ticket, rateExceeded: false }, policy, 0);
    assert.deepEqual(failed, { record: { ...record, version: 1, failCounter: 1 } });
  });

  it('admits a trial by taking a lease, and refuses a second while the lease lives', () => {
    const open = { ...initialRecord(3), state: 'open' as const, failCounter: 5, openedAt: 1000, trips: 1 };
    assert.equal(effectiveState(open, policy, 60_999), 'open');
    assert.equal(effectiveState(open, policy, 61_000), 'half_open');
    const trial = decideAdmission(open, policy, 61_000, 300);
    assert.equal(trial.kind, 'trial');
    if (trial.kind !== 'trial') return;
    assert.deepEqual(trial.next.trialLeases, [61_300]);
    assert.equal(trial.next.version, 4);
    assert.deepEqual(decideAdmission(trial.next, policy, 61_299, 300), { kind: 'reject', state: 'half_open', retryAfterMs: 0 });
    assert.equal(decideAdmission(trial.next, policy, 61_300, 300).kind, 'trial', 'an expired lease frees its slot');
  });

  it('ignores outcomes from an earlier period', () => {
    const record = initialRecord();
    const admission = decideAdmission(record, policy, 0, 1000);
    if (admission.kind !== 'pass') throw new Error('expected pass');
    const reopened = { ...record, version: 9, state: 'open' as const, openedAt: 5, failCounter: 5, trips: 1 };
    assert.equal(transition(reopened, { type: 'failure', ticket: admission.ticket, rateExceeded: false }, policy, 10), null);
    const closedAgain = { ...reopened, state: 'closed' as const, failCounter: 0, trips: 0 };
    assert.equal(transition(closedAgain, { type: 'failure', ticket: admission.ticket, rateExceeded: false }, policy, 10), null);
  });

  it('backs the reset timeout off per trip, capped', () => {
    const backoff = resolvePolicy({ backoff: { multiplier: 3, maxResetTimeoutMs: 500_000 } });
    const timeouts = [1, 2, 3, 4].map((trips) => resetTimeoutFor({ ...initialRecord(), trips }, backoff));
    assert.deepEqual(timeouts, [60_000, 180_000, 500_000, 500_000]);
  });
});
