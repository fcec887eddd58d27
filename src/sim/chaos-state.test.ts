import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChaosState } from './chaos-state.js';
import { toMode } from './mode.js';

test('fixed modes give their fault to every request and count it', () => {
  const state = new ChaosState();
  assert.equal(state.requestFault(undefined), undefined);
  state.set(toMode({ mode: 'error', status: 503 }));
  assert.deepEqual(state.requestFault(undefined), { kind: 'error', status: 503 });
  state.set(toMode({ mode: 'slow', delay_ms: 100 }));
  assert.deepEqual(state.requestFault(undefined), { kind: 'slow', delayMs: 100 });
  assert.equal(state.counters.requests, 3);
  assert.equal(state.counters.faults, 2);
  assert.deepEqual(state.counters.faults_by_kind, { hang: 0, slow: 1, error: 1, reset: 0, garbage: 0, down: 0 });
});

test('flaky replays the same draws whenever it is set again with the same seed', () => {
  const state = new ChaosState();
  const run = () => {
    state.set(toMode({ mode: 'flaky', rate: 0.3, fault: 'reset', seed: 42 }));
    return Array.from({ length: 1_000 }, () => state.requestFault(undefined)?.kind ?? 'ok');
  };
  const first = run();
  assert.deepEqual(run(), first);
  const resets = first.filter((kind) => kind === 'reset').length;
  assert.ok(resets > 250 && resets < 350, `${resets} of 1000 at rate 0.3`);
  assert.ok(first.every((kind) => kind === 'ok' || kind === 'reset'));
});

test('flaky per connection: the connection draws once, its requests follow it', () => {
  const state = new ChaosState();
  state.set(toMode({ mode: 'flaky', rate: 1, per: 'connection', fault: 'hang' }));
  const faulty = state.acceptConnection();
  assert.equal(faulty, true);
  assert.deepEqual(state.requestFault(faulty), { kind: 'hang' });
  state.set(toMode({ mode: 'flaky', rate: 0, per: 'connection', fault: 'hang' }));
  const healthy = state.acceptConnection();
  assert.equal(healthy, false);
  assert.equal(state.requestFault(healthy), undefined);
  assert.equal(state.counters.connections, 2);
  state.set(toMode({ mode: 'error' }));
  assert.equal(state.acceptConnection(), undefined, 'no draw outside flaky per connection');
});
