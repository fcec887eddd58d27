import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bulkhead } from './bulkhead.js';
import { FakeClock } from './clock.js';
import { OrchestratorError, OverloadedError } from './errors.js';
import { Timeout } from './timeout.js';

describe('Bulkhead alone', () => {
  it('runs calls in slots, queues up to maxQueue, rejects the rest', async () => {
    const bulkhead = new Bulkhead({ name: 'up', maxConcurrent: 1, maxQueue: 1 });
    let release!: () => void;
    const first = bulkhead.execute(() => new Promise<string>((resolve) => (release = () => resolve('first'))));
    const second = bulkhead.execute(async () => 'second');
    await assert.rejects(bulkhead.execute(async () => 'third'), (e) => e instanceof OverloadedError && /'up' is at its concurrency limit \(1 in flight, 1 waiting\)/.test(e.message));
    release();
    assert.deepEqual(await Promise.all([first, second]), ['first', 'second']);
    assert.equal(bulkhead.inFlight, 0);
  });

  it('lets a waiting caller leave the queue when its signal aborts', async () => {
    const bulkhead = new Bulkhead({ name: 'up', maxConcurrent: 1, maxQueue: 1 });
    assert.equal(bulkhead.acquire(), true);
    const controller = new AbortController();
    const waiting = bulkhead.acquire(controller.signal);
    assert.equal(bulkhead.queued, 1);
    controller.abort(new Error('gave up'));
    await assert.rejects(waiting as Promise<void>, /gave up/);
    assert.equal(bulkhead.queued, 0);
    bulkhead.release();
    assert.equal(bulkhead.inFlight, 0);
  });
});

describe('Timeout alone', () => {
  it('fails a call that ignores its signal at the deadline, naming the upstream', async () => {
    const clock = new FakeClock();
    const timeout = new Timeout({ name: 'up', timeoutMs: 250, clock });
    const result = timeout.execute(() => new Promise(() => undefined)).catch((e: unknown) => e);
    clock.advance(250);
    const error = await result;
    assert.ok(error instanceof OrchestratorError);
    assert.equal(error.reason, 'timeout');
    assert.equal(error.message, "'up' did not answer within 250 ms");
    assert.equal(clock.pendingTimers, 0, 'no timer left behind');
  });

  it('uses one timer for many calls', async () => {
    const clock = new FakeClock();
    const timeout = new Timeout({ name: 'up', timeoutMs: 1000, clock });
    const calls = Array.from({ length: 100 }, (_, i) => {
      clock.advance(1);
      return timeout.execute(async () => i);
    });
    assert.equal(clock.pendingTimers, 1);
    assert.equal((await Promise.all(calls)).length, 100);
  });
});
