import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { FakeClock } from './clock.js';
import { CircuitBreakerError, InvalidArgumentsError, OrchestratorError, OverloadedError } from './errors.js';
import { createGuard } from './guard.js';
import { initialRecord } from './machine.js';
import { MemoryStore } from './memory-store.js';
import type { GuardEvent, GuardOptions } from './types.js';

const START = Date.parse('2026-01-01T00:00:00.000Z');

function setup(options: Partial<GuardOptions> = {}) {
  const clock = new FakeClock(START);
  const guard = createGuard({ name: 'orchestrator', clock, ...options });
  const events: GuardEvent[] = [];
  guard.on((event) => events.push(event));
  let upstreamCalls = 0;
  const ok = async () => {
    upstreamCalls++;
    return 'ok';
  };
  const refuse = async (): Promise<string> => {
    upstreamCalls++;
    throw new OrchestratorError('connection_refused', 'connection refused', { upstream: 'orchestrator' });
  };
  const changes = () => events.filter((e) => e.type === 'state_change').map((e) => e.type === 'state_change' && `${e.from}->${e.to}:${e.fail_counter}:${e.reason}`);
  return { clock, guard, events, changes, ok, refuse, calls: () => upstreamCalls };
}

/** A call the test finishes by hand. */
function deferred<T = string>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  let signal: AbortSignal | undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const fn = (s: AbortSignal) => {
    signal = s;
    return promise;
  };
  return { fn, resolve, reject, signal: () => signal };
}

/** Lets promise callbacks run (the memory store and the guard need only microtasks). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

async function failTimes(guard: ReturnType<typeof createGuard>, fn: () => Promise<string>, n: number) {
  const errors: unknown[] = [];
  for (let i = 0; i < n; i++) errors.push(await guard.execute(fn).catch((e: unknown) => e));
  return errors;
}

describe('consecutive failures (plan scenario 2)', () => {
  it('trips on the 5th consecutive failure; that call gets its own error, marked; the next fails fast', async () => {
    const { guard, refuse, ok, calls, changes } = setup();
    const first4 = await failTimes(guard, refuse, 4);
    assert.ok(first4.every((e) => e instanceof OrchestratorError && !e.trippedCircuit));
    assert.equal(guard.snapshot().state, 'closed');
    assert.equal(guard.snapshot().fail_counter, 4);

    const fifth = await guard.execute(refuse).catch((e: unknown) => e);
    assert.ok(fifth instanceof OrchestratorError);
    assert.equal(fifth.reason, 'connection_refused');
    assert.equal(fifth.trippedCircuit, true);
    assert.deepEqual(fifth.toJSON().circuit, { state: 'open', fail_counter: 5 });
    assert.equal(fifth.toJSON().tripped_circuit, true);
    assert.deepEqual(changes(), ['closed->open:5:failure_threshold']);

    const sixth = await guard.execute(ok).catch((e: unknown) => e);
    assert.ok(sixth instanceof CircuitBreakerError);
    assert.equal(sixth.upstream, 'orchestrator');
    assert.deepEqual(sixth.circuit, { state: 'open', fail_counter: 5 });
    assert.equal(sixth.retryAfterMs, 60_000);
    assert.equal(sixth.toJSON().type, 'circuit_breaker_error');
    assert.equal(calls(), 5, 'the open circuit does not call the upstream');
  });

  it('shows fail_counter 5 and opened_at right after the trip', async () => {
    const { guard, refuse, clock } = setup();
    clock.advance(1234);
    await failTimes(guard, refuse, 5);
    const snapshot = guard.snapshot();
    assert.deepEqual(snapshot, {
      state: 'open',
      fail_counter: 5,
      fail_max: 5,
      reset_timeout_s: 60,
      opened_at: new Date(START + 1234).toISOString(),
      retry_after_ms: 60_000,
      in_flight: 0,
      queued: 0,
    });
  });

  it('a success resets the counter to 0', async () => {
    const { guard, refuse, ok } = setup();
    await failTimes(guard, refuse, 4);
    assert.equal(await guard.execute(ok), 'ok');
    assert.equal(guard.snapshot().fail_counter, 0);
    await failTimes(guard, refuse, 4);
    assert.equal(guard.snapshot().state, 'closed');
  });

  it('failures of calls admitted before the trip that land after it do not count on', async () => {
    const { guard, changes } = setup();
    const calls = Array.from({ length: 10 }, () => deferred());
    const results = calls.map((call) => guard.execute(call.fn).catch((e: unknown) => e));
    for (const call of calls) call.reject(new OrchestratorError('timeout', 'slow'));
    const errors = await Promise.all(results);
    assert.equal(guard.snapshot().fail_counter, 5);
    assert.equal(errors.filter((e) => e instanceof OrchestratorError && e.trippedCircuit).length, 1);
    assert.deepEqual(changes(), ['closed->open:5:failure_threshold']);
  });
});

describe('recovery (plan scenario 3)', () => {
  it('is half-open after the reset timeout without waiting for a call', async () => {
    const { guard, refuse, clock, changes } = setup();
    await failTimes(guard, refuse, 5);
    clock.advance(59_999);
    assert.equal(guard.snapshot().state, 'open');
    assert.equal(guard.snapshot().retry_after_ms, 1);
    clock.advance(1);
    assert.deepEqual(changes(), ['closed->open:5:failure_threshold', 'open->half_open:5:reset_timeout'], 'the event comes from a timer');
    assert.equal(guard.snapshot().state, 'half_open');
    assert.equal(guard.snapshot().retry_after_ms, 0);
  });

  it('one trial success closes the circuit and resets the counter', async () => {
    const { guard, refuse, ok, clock, changes } = setup();
    await failTimes(guard, refuse, 5);
    clock.advance(60_000);
    assert.equal(await guard.execute(ok), 'ok');
    assert.equal(guard.snapshot().state, 'closed');
    assert.equal(guard.snapshot().fail_counter, 0);
    assert.equal(changes().at(-1), 'half_open->closed:0:trial_success');
    assert.equal(await guard.execute(ok), 'ok');
  });

  it('a failed trial reopens with a fresh opened_at and the counter at 6', async () => {
    const { guard, refuse, clock, changes } = setup();
    await failTimes(guard, refuse, 5);
    clock.advance(60_000);
    const trial = await guard.execute(refuse).catch((e: unknown) => e);
    assert.ok(trial instanceof OrchestratorError);
    const snapshot = guard.snapshot();
    assert.equal(snapshot.state, 'open');
    assert.equal(snapshot.fail_counter, 6);
    assert.equal(snapshot.opened_at, new Date(START + 60_000).toISOString());
    assert.equal(snapshot.retry_after_ms, 60_000);
    assert.equal(changes().at(-1), 'half_open->open:6:trial_failure');
  });

  it('admits exactly one trial; every other caller fails fast at once', async () => {
    const { guard, refuse, ok, clock, calls } = setup();
    await failTimes(guard, refuse, 5);
    clock.advance(60_000);
    const trial = deferred();
    const trialResult = guard.execute(trial.fn);
    const others = await Promise.all(Array.from({ length: 20 }, () => guard.execute(ok).catch((e: unknown) => e)));
    for (const error of others) {
      assert.ok(error instanceof CircuitBreakerError);
      assert.equal(error.circuit?.state, 'half_open');
      assert.equal(error.retryAfterMs, 0);
    }
    assert.equal(calls(), 5, 'only the trial reaches the upstream');
    trial.resolve('recovered');
    assert.equal(await trialResult, 'recovered');
    assert.equal(guard.snapshot().state, 'closed');
  });

  it('a lent controller is fn’s signal: the deadline aborts it and counts as a failure, the caller’s abort as neither', async () => {
    const { guard, clock, events } = setup({ timeoutMs: 1_000, breaker: { failMax: 1, resetTimeoutMs: 60_000 } });
    const finished = new AbortController();
    assert.equal(await guard.execute(async (signal) => (signal === finished.signal ? 'same signal' : 'another'), { controller: finished }), 'same signal');
    assert.equal(finished.signal.aborted, false, 'a finished call leaves the controller as it was');

    const cancelled = new AbortController();
    const pending = deferred();
    const cancelledCall = guard.execute(pending.fn, { controller: cancelled });
    await flush();
    cancelled.abort(new Error('caller went away'));
    pending.reject(cancelled.signal.reason);
    await assert.rejects(cancelledCall, /caller went away/);
    assert.equal(guard.snapshot().fail_counter, 0, 'a cancelled call is no failure');

    const late = new AbortController();
    const hung = deferred();
    const lateCall = guard.execute(hung.fn, { controller: late });
    await flush();
    clock.advance(1_000);
    const error = await lateCall.catch((e: unknown) => e);
    assert.ok(error instanceof OrchestratorError && error.reason === 'timeout');
    assert.equal(late.signal.reason, error, 'the deadline aborted the lent controller');
    assert.equal(guard.snapshot().state, 'open', 'the timeout counted as a failure and tripped failMax 1');
    assert.ok(events.some((e) => e.type === 'failure'));
  });

  it('rejectNow answers what execute would, synchronously, and takes no trial', async () => {
    const { guard, refuse, ok, clock, events } = setup();
    assert.equal(guard.rejectNow(), null, 'closed: nothing to reject');
    await failTimes(guard, refuse, 5);
    const open = guard.rejectNow();
    assert.ok(open instanceof CircuitBreakerError);
    assert.deepEqual(open.toJSON().circuit, { state: 'open', fail_counter: 5 });
    assert.equal(open.retryAfterMs, 60_000);
    assert.equal(events.filter((e) => e.type === 'rejection').length, 1, 'reported as a rejection event');
    clock.advance(60_000);
    assert.equal(guard.rejectNow(), null, 'half-open with its trial slot free: the call goes on');
    assert.equal(guard.rejectNow(), null, 'asking again still took no trial');
    const trial = deferred();
    const trialResult = guard.execute(trial.fn);
    await flush();
    const busy = guard.rejectNow();
    assert.ok(busy instanceof CircuitBreakerError);
    assert.equal(busy.circuit?.state, 'half_open');
    await assert.rejects(guard.execute(ok), CircuitBreakerError);
    trial.resolve('recovered');
    assert.equal(await trialResult, 'recovered');
    assert.equal(guard.rejectNow(), null);
  });

  it('needs successThreshold trial successes to close; halfOpenMaxCalls trials at once', async () => {
    const { guard, refuse, ok, clock } = setup({ breaker: { successThreshold: 2, halfOpenMaxCalls: 2 } });
    await failTimes(guard, refuse, 5);
    clock.advance(60_000);
    const [a, b] = [deferred(), deferred()];
    const running = [guard.execute(a.fn), guard.execute(b.fn)];
    await assert.rejects(guard.execute(ok), CircuitBreakerError);
    a.resolve('a');
    await running[0];
    assert.equal(guard.snapshot().state, 'half_open');
    b.resolve('b');
    await running[1];
    assert.equal(guard.snapshot().state, 'closed');
    assert.equal(guard.snapshot().fail_counter, 0);
  });

  it('bounds a hung trial by the call timeout, which reopens the circuit', async () => {
    const { guard, refuse, clock } = setup({ timeoutMs: 300 });
    await failTimes(guard, refuse, 5);
    clock.advance(60_000);
    const hung = deferred();
    const trial = guard.execute(hung.fn).catch((e: unknown) => e);
    await flush();
    clock.advance(300);
    const error = await trial;
    assert.ok(error instanceof OrchestratorError);
    assert.equal(error.reason, 'timeout');
    assert.equal(hung.signal()?.aborted, true);
    assert.equal(guard.snapshot().state, 'open');
    assert.equal(guard.snapshot().fail_counter, 6);
  });

  it('frees a trial slot whose lease expired (its process died), so half-open cannot get stuck', async () => {
    const clock = new FakeClock(START);
    const store = new MemoryStore({ ...initialRecord(7), state: 'half_open', failCounter: 5, openedAt: START - 60_000, trips: 1, trialLeases: [START + 300] });
    const guard = createGuard({ name: 'orchestrator', clock, store, timeoutMs: 300 });
    await assert.rejects(guard.execute(async () => 'x'), CircuitBreakerError);
    clock.advance(300);
    assert.equal(await guard.execute(async () => 'x'), 'x');
    assert.equal(guard.snapshot().state, 'closed');
  });
});

describe('what counts', () => {
  it('exclude matches count as successes', async () => {
    const { guard, refuse } = setup({
      breaker: { exclude: (e) => e instanceof OrchestratorError && e.reason === 'http_status' && e.status === 404 },
    });
    await failTimes(guard, refuse, 4);
    const notFound = () => Promise.reject(new OrchestratorError('http_status', 'not found', { status: 404 }));
    await assert.rejects(guard.execute(notFound), OrchestratorError);
    assert.equal(guard.snapshot().fail_counter, 0);
  });

  it('invalid arguments never count', async () => {
    const { guard, refuse } = setup();
    await failTimes(guard, refuse, 4);
    await assert.rejects(guard.execute(() => Promise.reject(new InvalidArgumentsError('query is required'))), InvalidArgumentsError);
    assert.equal(guard.snapshot().fail_counter, 4);
  });

  it('an error thrown synchronously by fn is a failure too', async () => {
    const { guard } = setup();
    await assert.rejects(
      guard.execute(() => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(guard.snapshot().fail_counter, 1);
  });
});

describe('bulkhead', () => {
  it('rejects beyond maxConcurrent at once with overloaded, never an upstream failure', async () => {
    const { guard, ok, calls, events } = setup({ maxConcurrent: 2 });
    const held = [deferred(), deferred()];
    const running = held.map((h) => guard.execute(h.fn));
    assert.equal(guard.snapshot().in_flight, 2);
    for (let i = 0; i < 10; i++) {
      const error = await guard.execute(ok).catch((e: unknown) => e);
      assert.ok(error instanceof OverloadedError);
      assert.equal(error.toJSON().type, 'overloaded');
    }
    assert.equal(calls(), 0);
    assert.equal(guard.snapshot().fail_counter, 0);
    assert.equal(events.filter((e) => e.type === 'rejection').length, 10);
    held.forEach((h) => h.resolve('done'));
    await Promise.all(running);
    assert.equal(guard.snapshot().in_flight, 0);
    assert.equal(await guard.execute(ok), 'ok');
  });

  it('queues up to maxQueue callers and hands them slots in order', async () => {
    const { guard } = setup({ maxConcurrent: 1, maxQueue: 2 });
    const first = deferred();
    const order: string[] = [];
    const running = [guard.execute(first.fn)];
    running.push(guard.execute(async () => (order.push('b'), 'b')), guard.execute(async () => (order.push('c'), 'c')));
    assert.equal(guard.snapshot().queued, 2);
    await assert.rejects(guard.execute(async () => 'd'), OverloadedError);
    first.resolve('a');
    assert.deepEqual(await Promise.all(running), ['a', 'b', 'c']);
    assert.deepEqual(order, ['b', 'c']);
  });

  it('releases queued callers at once with the circuit error when the circuit opens', async () => {
    const { guard, refuse } = setup({ maxConcurrent: 1, maxQueue: 5, breaker: { failMax: 1 } });
    const head = deferred();
    const running = guard.execute(head.fn).catch((e: unknown) => e);
    const queued = Array.from({ length: 5 }, () => guard.execute(refuse).catch((e: unknown) => e));
    assert.equal(guard.snapshot().queued, 5);
    head.reject(new OrchestratorError('connection_reset', 'reset'));
    assert.equal(((await running) as OrchestratorError).trippedCircuit, true);
    const released = await Promise.all(queued);
    assert.ok(released.every((e) => e instanceof CircuitBreakerError && e.circuit?.state === 'open'));
    assert.equal(guard.snapshot().queued, 0);
  });

  it('never queues a caller behind a half-open trial', async () => {
    const { guard, refuse, clock } = setup({ maxConcurrent: 1, maxQueue: 5 });
    await failTimes(guard, refuse, 5);
    clock.advance(60_000);
    const trial = deferred();
    const running = guard.execute(trial.fn);
    await assert.rejects(guard.execute(async () => 'x'), CircuitBreakerError);
    assert.equal(guard.snapshot().queued, 0);
    trial.resolve('ok');
    await running;
  });
});

describe('high load on a hung upstream (plan scenario 4)', () => {
  it('lets maxConcurrent calls reach it, rejects the rest at once, then fails fast once the first wave times out', async () => {
    const { guard, clock, calls, events } = setup({ maxConcurrent: 5, timeoutMs: 30_000 });
    const hung = async (signal: AbortSignal) => {
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      return 'never';
    };
    const wave = Array.from({ length: 50 }, () => guard.execute(hung).catch((e: unknown) => e));
    await flush();
    assert.equal(guard.snapshot().in_flight, 5);
    assert.equal(events.filter((e) => e.type === 'rejection').length, 45, 'rejected at once, before any timeout');
    clock.advance(30_000);
    const outcomes = await Promise.all(wave);
    const timeouts = outcomes.filter((e) => e instanceof OrchestratorError && e.reason === 'timeout');
    assert.equal(timeouts.length, 5);
    assert.equal(outcomes.filter((e) => e instanceof OverloadedError).length, 45);
    assert.equal(guard.snapshot().state, 'open');
    assert.equal(guard.snapshot().fail_counter, 5);
    const after = await Promise.all(Array.from({ length: 50 }, () => guard.execute(hung).catch((e: unknown) => e)));
    assert.ok(after.every((e) => e instanceof CircuitBreakerError));
    assert.equal(calls(), 0);
  });
});

describe('timeout', () => {
  it('aborts the call signal on the deadline and fails with reason timeout, counted as a failure', async () => {
    const { guard, clock } = setup({ timeoutMs: 30_000 });
    const call = deferred();
    const result = guard.execute(call.fn).catch((e: unknown) => e);
    await flush();
    clock.advance(29_999);
    assert.equal(call.signal()?.aborted, false);
    clock.advance(1);
    assert.equal(call.signal()?.aborted, true);
    const error = await result;
    assert.ok(error instanceof OrchestratorError);
    assert.equal(error.reason, 'timeout');
    assert.equal(call.signal()?.reason, error);
    assert.equal(guard.snapshot().fail_counter, 1);
    assert.equal(guard.snapshot().in_flight, 0);
  });

  it('gives each call its own deadline and signal', async () => {
    const { guard, clock } = setup({ timeoutMs: 100 });
    const a = deferred();
    const pa = guard.execute(a.fn).catch((e: unknown) => e);
    clock.advance(50);
    const b = deferred();
    const pb = guard.execute(b.fn).catch((e: unknown) => e);
    clock.advance(50);
    assert.equal(a.signal()?.aborted, true);
    assert.equal(b.signal()?.aborted, false);
    b.resolve('b');
    assert.ok((await pa) instanceof OrchestratorError);
    assert.equal(await pb, 'b');
    clock.advance(1000);
    assert.equal(b.signal()?.aborted, false, 'a finished call is never aborted');
  });
});

describe('timeout signals', () => {
  it('calls due in the same millisecond share a signal, aborted only when one of them is still running', async () => {
    const { guard, clock } = setup({ timeoutMs: 100 });
    const [a, b] = [deferred(), deferred()];
    const running = [guard.execute(a.fn), guard.execute(b.fn)];
    assert.equal(a.signal(), b.signal());
    a.resolve('a');
    b.resolve('b');
    await Promise.all(running);
    clock.advance(100);
    assert.equal(a.signal()?.aborted, false, 'nobody is due: nothing is aborted');
    const [c, d] = [deferred(), deferred()];
    const settled = [guard.execute(c.fn), guard.execute(d.fn)].map((p) => p.catch((e: unknown) => e));
    c.resolve('c');
    await flush();
    clock.advance(100);
    assert.equal(d.signal()?.aborted, true);
    assert.equal(await settled[0], 'c', 'the finished call keeps its result');
    assert.equal(((await settled[1]) as OrchestratorError).reason, 'timeout');
  });

  it('gives a call with a caller signal a signal of its own', async () => {
    const { guard, clock } = setup({ timeoutMs: 100 });
    const [a, b] = [deferred(), deferred()];
    const running = [guard.execute(a.fn), guard.execute(b.fn, { signal: new AbortController().signal })];
    assert.notEqual(a.signal(), b.signal());
    clock.advance(100);
    for (const result of await Promise.all(running.map((p) => p.catch((e: unknown) => e)))) {
      assert.equal((result as OrchestratorError).reason, 'timeout');
    }
    assert.equal(b.signal()?.aborted, true);
  });

  it('hands a finished call’s signal to the next call with a caller signal, which still has its own deadline', async () => {
    const { guard, clock } = setup({ timeoutMs: 100 });
    const caller = new AbortController().signal;
    const first = deferred();
    const firstResult = guard.execute(first.fn, { signal: caller });
    first.resolve('first');
    assert.equal(await firstResult, 'first');
    assert.equal(getEventListeners(caller, 'abort').length, 0, 'the caller signal keeps no listener of ours');
    const second = deferred();
    const secondResult = guard.execute(second.fn, { signal: caller }).catch((e: unknown) => e);
    assert.equal(second.signal(), first.signal(), 'the idle controller is reused');
    assert.equal(second.signal()?.aborted, false);
    clock.advance(100);
    assert.equal(((await secondResult) as OrchestratorError).reason, 'timeout');
    assert.equal(second.signal()?.aborted, true);
    const third = deferred();
    const thirdResult = guard.execute(third.fn, { signal: caller });
    assert.notEqual(third.signal(), second.signal(), 'an aborted signal is never handed on');
    assert.equal(third.signal()?.aborted, false);
    third.resolve('third');
    assert.equal(await thirdResult, 'third');
  });

  it('hands on a signal whose listener went a tick after its call finished, as undici removes its own', async () => {
    const { guard } = setup({ timeoutMs: 100 });
    const late = deferred();
    const lateResult = guard.execute(
      (signal) => {
        const listener = () => undefined;
        signal.addEventListener('abort', listener);
        return late.fn(signal).finally(() => process.nextTick(() => signal.removeEventListener('abort', listener)));
      },
      { signal: new AbortController().signal },
    );
    late.resolve('late');
    await lateResult;
    await flush();
    const next = deferred();
    const nextResult = guard.execute(next.fn, { signal: new AbortController().signal });
    assert.equal(next.signal(), late.signal());
    next.resolve('next');
    await nextResult;
  });

  it('does not hand on a signal that a finished call left a listener on, nor one its caller aborted', async () => {
    const { guard } = setup({ timeoutMs: 100 });
    const leaky = deferred();
    const leakyResult = guard.execute(
      (signal) => {
        signal.addEventListener('abort', () => undefined);
        return leaky.fn(signal);
      },
      { signal: new AbortController().signal },
    );
    leaky.resolve('leaky');
    await leakyResult;
    const next = deferred();
    const nextResult = guard.execute(next.fn, { signal: new AbortController().signal });
    assert.notEqual(next.signal(), leaky.signal());
    next.resolve('next');
    await nextResult;

    const caller = new AbortController();
    const cancelled = deferred();
    const cancelledResult = guard.execute(cancelled.fn, { signal: caller.signal }).catch((e: unknown) => e);
    caller.abort(new Error('gone'));
    assert.equal(((await cancelledResult) as Error).message, 'gone');
    const after = deferred();
    const afterResult = guard.execute(after.fn, { signal: new AbortController().signal });
    assert.notEqual(after.signal(), cancelled.signal());
    assert.equal(after.signal()?.aborted, false);
    after.resolve('after');
    await afterResult;
  });
});

describe('caller cancellation', () => {
  it('counts as neither success nor failure and frees the bulkhead slot', async () => {
    const { guard, refuse } = setup({ maxConcurrent: 1 });
    await failTimes(guard, refuse, 3);
    const controller = new AbortController();
    const call = deferred();
    const result = guard.execute(call.fn, { signal: controller.signal }).catch((e: unknown) => e);
    controller.abort(new Error('client went away'));
    assert.equal(((await result) as Error).message, 'client went away');
    assert.equal(call.signal()?.aborted, true);
    assert.equal(guard.snapshot().fail_counter, 3);
    assert.equal(guard.snapshot().in_flight, 0);
  });

  it('frees the trial lease so the next caller becomes the trial', async () => {
    const { guard, refuse, clock } = setup();
    await failTimes(guard, refuse, 5);
    clock.advance(60_000);
    const controller = new AbortController();
    const result = guard.execute(deferred().fn, { signal: controller.signal }).catch((e: unknown) => e);
    await flush();
    controller.abort();
    await result;
    assert.equal(guard.snapshot().state, 'half_open');
    assert.equal(await guard.execute(async () => 'trial'), 'trial');
    assert.equal(guard.snapshot().state, 'closed');
  });

  it('an already aborted signal fails before anything runs', async () => {
    const { guard, ok, calls } = setup();
    await assert.rejects(guard.execute(ok, { signal: AbortSignal.abort(new Error('gone')) }), /gone/);
    assert.equal(calls(), 0);
  });
});

describe('events', () => {
  it('reports success, failure and rejection events', async () => {
    const { guard, refuse, ok, events, clock } = setup({ breaker: { failMax: 1 } });
    await guard.execute(async () => {
      clock.advance(7);
      return 1;
    });
    await guard.execute(refuse).catch(() => undefined);
    await guard.execute(ok).catch(() => undefined);
    assert.deepEqual(
      events.map((e) => e.type),
      ['success', 'state_change', 'failure', 'rejection'],
    );
    assert.deepEqual(events[0], { type: 'success', name: 'orchestrator', duration_ms: 7 });
  });

  it('a throwing listener never breaks the call path and is reported', async () => {
    const reported: string[] = [];
    const clock = new FakeClock(START);
    const guard = createGuard({
      name: 'orchestrator',
      clock,
      breaker: { failMax: 1 },
      onListenerError: (error, event) => reported.push(`${event.type}: ${(error as Error).message}`),
    });
    guard.on(() => {
      throw new Error('listener broke');
    });
    assert.equal(await guard.execute(async () => 'fine'), 'fine');
    const error = await guard.execute(() => Promise.reject(new OrchestratorError('timeout', 'slow'))).catch((e: unknown) => e);
    assert.ok(error instanceof OrchestratorError && error.trippedCircuit);
    assert.deepEqual(reported, ['success: listener broke', 'state_change: listener broke', 'failure: listener broke']);
  });

  it('reports listener errors as process warnings by default', async () => {
    const guard = createGuard({ name: 'orchestrator', clock: new FakeClock(START) });
    guard.on(() => {
      throw new Error('oops');
    });
    const warning = new Promise<Error>((resolve) => process.once('warning', resolve));
    assert.equal(await guard.execute(async () => 1), 1);
    assert.match((await warning).message, /listener threw on 'success' for 'orchestrator': oops/);
  });
});

describe('without a breaker (breaker: false)', () => {
  it('never opens, while bulkhead and timeout still apply', async () => {
    const { guard, refuse, calls, clock } = setup({ breaker: false, timeoutMs: 100, maxConcurrent: 1 });
    await failTimes(guard, refuse, 20);
    assert.equal(calls(), 20);
    assert.equal(guard.snapshot().state, 'closed');
    assert.equal(guard.snapshot().disabled, true);
    const hung = guard.execute(deferred().fn).catch((e: unknown) => e);
    await assert.rejects(guard.execute(refuse), OverloadedError);
    clock.advance(100);
    assert.equal(((await hung) as OrchestratorError).reason, 'timeout');
    assert.throws(() => guard.forceOpen(), /runs without a breaker/);
  });
});
