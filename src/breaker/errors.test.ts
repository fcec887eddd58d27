import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreakerError, ShieldError } from './errors.js';

describe('CircuitBreakerError.failFast', () => {
  const circuit = { state: 'open' as const, fail_counter: 5 };

  it('is indistinguishable from a constructed one to callers', () => {
    const constructed = new CircuitBreakerError('orchestrator', circuit, 1234.5);
    const fast = CircuitBreakerError.failFast('orchestrator', circuit, 1234.5);
    assert.ok(fast instanceof CircuitBreakerError && fast instanceof ShieldError && fast instanceof Error);
    assert.deepEqual(Object.keys(fast), Object.keys(constructed));
    assert.deepEqual(fast.toJSON(), constructed.toJSON());
    assert.equal(fast.message, constructed.message);
    assert.equal(fast.message, "circuit breaker 'orchestrator' is open; retry in 1235 ms");
    assert.equal(String(fast), String(constructed));
    assert.equal(fast.stack, `CircuitBreakerError: ${constructed.message}`);
    assert.equal(JSON.stringify(fast), JSON.stringify(constructed));
  });

  it('says a trial is in progress when half-open, and keeps an assigned message', () => {
    const fast = CircuitBreakerError.failFast('orchestrator', { state: 'half_open', fail_counter: 5 }, 0);
    assert.equal(fast.message, "circuit breaker 'orchestrator' is half-open; a trial call is in progress");
    fast.message = 'rewritten';
    assert.equal(fast.message, 'rewritten');
    assert.equal(CircuitBreakerError.failFast('x', circuit, 1).message, "circuit breaker 'x' is open; retry in 1 ms", 'per instance');
  });
});

describe('toJSON', () => {
  it('is the plain vocabulary, keys in a stable order, holding no reference to the error', () => {
    const circuit = { state: 'open' as const, fail_counter: 5 };
    const json = CircuitBreakerError.failFast('orchestrator', circuit, 1234.5).toJSON();
    assert.deepEqual(Object.keys(json), ['type', 'message', 'upstream', 'circuit', 'retry_after_ms']);
    assert.deepEqual(json, {
      type: 'circuit_breaker_error',
      message: "circuit breaker 'orchestrator' is open; retry in 1235 ms",
      upstream: 'orchestrator',
      circuit: { state: 'open', fail_counter: 5 },
      retry_after_ms: 1235,
    });
    assert.notEqual(json.circuit, circuit, 'the circuit summary is a copy');
  });
});
