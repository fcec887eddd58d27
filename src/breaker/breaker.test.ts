import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker } from './breaker.js';
import { FakeClock } from './clock.js';
import { CircuitBreakerError, OrchestratorError } from './errors.js';
import { createGuard } from './guard.js';
import { MemoryStore } from './memory-store.js';
import { resolvePolicy } from './policy.js';
import type { BreakerRecord, BreakerStore, GuardEvent, GuardOptions } from './types.js';

const START = Date.parse('2026-01-01T00:00:00.000Z');
const failure = () => Promise.reject(new OrchestratorError('http_status', 'upstream said 500', { status: 500 }));
const success = async () => 'ok';

function setup(options: Partial<GuardOptions> = {}) {
  const clock = new FakeClock(START);
  const guard = createGuard({ name: 'orchestrator', clock, ...options });
  const events: GuardEvent[] = [];
  guard.on((event) => events.push(event));
  const run = (fn: () => Promise<string>) => guard.execute(fn).then(() => 'ok', (e: unknown) => (e instanceof CircuitBreakerError ? 'rejected' : 'failed'));
  const changes = () => events.flatMap((e) => (e.type === 'state_change' ? [`${e.from}->${e.to}:${e.reason}`] : []));
  return { clock, guard, run, changes };
}

describe('failure-rate policy', () => {
  it('trips when the failure rate over the window reaches the threshold, once minCalls are in', async () => {
    const { guard, run, changes } = setup({ breaker: { failMax: Infinity, failureRate: { threshold: 0.5, window: 10 } } });
    for (let i = 0; i < 9; i++) assert.equal(await run(i % 2 === 0 ? failure : success), i % 2 === 0 ? 'failed' : 'ok');
    assert.equal(guard.snapshot().state, 'closed', '5 of 9 failed but minCalls (10) not reached');
    assert.equal(await run(success), 'ok');
    assert.equal(guard.snapshot().state, 'open', '5 of 10 = 50%: trips on the 10th call');
    assert.deepEqual(changes(), ['closed->open:failure_rate']);
  });

  it('keeps a 50% random failure rate from flapping closed (plan scenario 5)', async () => {
    const { guard, run, clock } = setup({ breaker: { failureRate: { threshold: 0.5, window: 10 } }, timeoutMs: 1000 });
    let seed = 42;
    const coin = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) & 1024) === 0;
    const states: string[] = [];
    for (let i = 0; i < 300; i++) {
      await run(coin() ? failure : success);
      clock.advance(1000);
      states.push(guard.snapshot().state);
    }
    const closedShare = states.filter((s) => s === 'closed').length / states.length;
    assert.ok(closedShare < 0.5, `closed ${Math.round(closedShare * 100)}% of the time`);
    assert.ok(states.includes('open'));
  });

  it('with both policies, whichever condition is met first trips', async () => {
    const { guard, run, changes } = setup({ breaker: { failMax: 3, failureRate: { threshold: 0.9, window: 20, minCalls: 20 } } });
    for (let i = 0; i < 3; i++) await run(failure);
    assert.equal(guard.snapshot().state, 'open');
    assert.deepEqual(changes(), ['closed->open:failure_threshold']);
  });

  it('starts a fresh window when the circuit closes', async () => {
    const { guard, run, clock } = setup({ breaker: { failMax: Infinity, failureRate: { threshold: 0.5, window: 4 } } });
    for (let i = 0; i < 4; i++) await run(failure);
    assert.equal(guard.snapshot().state, 'open');
    clock.advance(60_000);
    assert.equal(await run(success), 'ok');
    assert.equal(guard.snapshot().state, 'closed');
    for (let i = 0; i < 3; i++) await run(failure);
    assert.equal(guard.snapshot().state, 'closed', 'the old failures are gone: 3 calls < minCalls 4');
  });
});

describe('backoff', () => {
  it('multiplies the reset timeout on each re-trip up to the cap, and closing resets it', async () => {
    const { guard, run, clock } = setup({ breaker: { backoff: { multiplier: 2, maxResetTimeoutMs: 200_000 } } });
    for (let i = 0; i < 5; i++) await run(failure);
    const waits = [guard.snapshot().retry_after_ms];
    for (let i = 0; i < 3; i++) {
      clock.advance(waits.at(-1) as number);
      assert.equal(guard.snapshot().state, 'half_open');
      assert.equal(await run(failure), 'failed');
      waits.push(guard.snapshot().retry_after_ms);
      assert.equal(guard.snapshot().reset_timeout_s, 60, 'the configured value');
    }
    assert.deepEqual(waits, [60_000, 120_000, 200_000, 200_000]);
    clock.advance(200_000);
    assert.equal(await run(success), 'ok');
    for (let i = 0; i < 5; i++) await run(failure);
    assert.equal(guard.snapshot().retry_after_ms, 60_000);
  });
});

describe('long reset timeouts', () => {
  it('turns half-open on time even beyond the longest timer Node can arm', async () => {
    const days = 30 * 24 * 3_600_000;
    const { run, clock, changes } = setup({ breaker: { failMax: 1, resetTimeoutMs: days } });
    await run(failure);
    clock.advance(days - 1);
    assert.deepEqual(changes(), ['closed->open:failure_threshold']);
    clock.advance(1);
    assert.deepEqual(changes(), ['closed->open:failure_threshold', 'open->half_open:reset_timeout']);
  });
});

describe('operator controls', () => {
  it('forceOpen holds until reset, even past the reset timeout', async () => {
    const { guard, run, clock, changes } = setup();
    guard.forceOpen();
    assert.equal(await run(success), 'rejected');
    clock.advance(10 * 60_000);
    assert.equal(guard.snapshot().state, 'open');
    assert.equal(guard.snapshot().forced, 'open');
    assert.equal(await run(success), 'rejected');
    guard.reset();
    assert.equal(await run(success), 'ok');
    assert.equal(guard.snapshot().forced, undefined);
    assert.deepEqual(changes(), ['closed->open:forced_open', 'open->closed:reset']);
  });

  it('forceClosed lets every call through and does not trip', async () => {
    const { guard, run } = setup();
    for (let i = 0; i < 5; i++) await run(failure);
    guard.forceClosed();
    for (let i = 0; i < 20; i++) assert.equal(await run(failure), 'failed');
    assert.equal(guard.snapshot().state, 'closed');
    assert.equal(guard.snapshot().forced, 'closed');
    guard.forceOpen();
    assert.equal(await run(success), 'rejected');
  });

  it('reset closes with the counter at 0', async () => {
    const { guard, run } = setup();
    for (let i = 0; i < 5; i++) await run(failure);
    guard.reset();
    assert.equal(guard.snapshot().state, 'closed');
    assert.equal(guard.snapshot().fail_counter, 0);
    for (let i = 0; i < 4; i++) await run(failure);
    assert.equal(guard.snapshot().state, 'closed');
  });
});

describe('shared store', () => {
  it("another replica's transitions reach this one as 'remote' state changes", async () => {
    const store = new MemoryStore();
    const clock = new FakeClock(START);
    const a = createGuard({ name: 'orchestrator', clock, store });
    const b = createGuard({ name: 'orchestrator', clock, store });
    const seenByB: string[] = [];
    b.on((e) => e.type === 'state_change' && seenByB.push(`${e.from}->${e.to}:${e.fail_counter}:${e.reason}`));
    for (let i = 0; i < 5; i++) await a.execute(failure).catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seenByB, ['closed->open:5:remote']);
    await assert.rejects(b.execute(success), CircuitBreakerError);
    a.dispose();
    b.dispose();
  });

  it('recomputes a transition on the newer record when compare-and-set reports a conflict (async store)', async () => {
    const inner = new MemoryStore();
    let conflicts = 0;
    let writes = 0;
    // A promise-answering store whose first write races another replica's failure.
    const racy: BreakerStore = {
      read: () => inner.read(),
      async compareAndSet(expected: BreakerRecord, next: BreakerRecord) {
        writes++;
        if (writes === 1) {
          conflicts++;
          inner.compareAndSet(expected, { ...expected, version: expected.version + 1, failCounter: expected.failCounter + 1 });
        }
        return inner.compareAndSet(expected, next);
      },
      subscribe: () => () => undefined,
    };
    const guard = createGuard({ name: 'orchestrator', clock: new FakeClock(START), store: racy });
    const first = await guard.execute(failure).catch((e: unknown) => e);
    assert.equal(conflicts, 1);
    assert.equal(guard.snapshot().fail_counter, 2, 'the other replica counted 1 with an equal record; this one counts on from it');
    await guard.execute(failure).catch(() => undefined);
    await guard.execute(failure).catch(() => undefined);
    assert.equal(guard.snapshot().state, 'closed');
    const tripping = (await guard.execute(failure).catch((e: unknown) => e)) as OrchestratorError;
    assert.equal(guard.snapshot().state, 'open');
    assert.equal(guard.snapshot().fail_counter, 5);
    assert.equal((first as OrchestratorError).trippedCircuit, false);
    assert.equal(tripping.trippedCircuit, true);
    await assert.rejects(guard.execute(success), CircuitBreakerError);
  });

  it('does not write to the store on a success while the counter is 0', async () => {
    const inner = new MemoryStore();
    let writes = 0;
    const counting: BreakerStore = {
      read: () => inner.read(),
      compareAndSet: (expected, next) => (writes++, inner.compareAndSet(expected, next)),
      subscribe: () => () => undefined,
    };
    const guard = createGuard({ name: 'orchestrator', clock: new FakeClock(START), store: counting });
    for (let i = 0; i < 100; i++) await guard.execute(success);
    assert.equal(writes, 0);
    await guard.execute(failure).catch(() => undefined);
    await guard.execute(success);
    assert.equal(writes, 2, 'one failure, one reset of the counter');
  });
});

describe('CircuitBreaker alone', () => {
  it('runs a function through the breaker without bulkhead or timeout', async () => {
    const breaker = new CircuitBreaker({ name: 'alone', clock: new FakeClock(START), policy: { failMax: 2 } });
    await assert.rejects(breaker.execute(failure));
    await assert.rejects(breaker.execute(failure));
    assert.equal(breaker.state, 'open');
    await assert.rejects(breaker.execute(success), CircuitBreakerError);
    breaker.dispose();
  });
});

describe('policy validation', () => {
  it('fills in PyBreaker defaults', () => {
    assert.deepEqual(resolvePolicy(), { failMax: 5, resetTimeoutMs: 60_000, halfOpenMaxCalls: 1, successThreshold: 1 });
    assert.equal(resolvePolicy({ failMax: undefined }).failMax, 5);
  });

  it('names the field and the expectation on bad values', () => {
    assert.throws(() => resolvePolicy({ failMax: 0 }), /breaker\.failMax must be a whole number >= 1 \(or Infinity\), got 0/);
    assert.throws(() => resolvePolicy({ resetTimeoutMs: -1 }), /breaker\.resetTimeoutMs must be a positive number/);
    assert.throws(() => resolvePolicy({ failureRate: { threshold: 1.5, window: 10 } }), /failureRate\.threshold must be a fraction/);
    assert.throws(() => resolvePolicy({ failureRate: { threshold: 0.5, window: 10, minCalls: 11 } }), /minCalls \(11\) must not exceed/);
    assert.throws(() => resolvePolicy({ backoff: { multiplier: 0.5, maxResetTimeoutMs: 1000 } }), /backoff\.multiplier must be a number >= 1/);
    assert.throws(() => createGuard({ name: 'x', maxConcurrent: 0 }), /maxConcurrent must be a whole number >= 1, got 0/);
    assert.throws(() => createGuard({ name: 'x', timeoutMs: -5 }), /timeoutMs must be a number of milliseconds >= 0/);
  });
});
