import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ControllerPool } from './controller-pool.js';

describe('ControllerPool', () => {
  it('hands a finished call’s controller to the next call', () => {
    const pool = new ControllerPool();
    const first = pool.take();
    pool.give(first);
    assert.equal(pool.take(), first);
  });

  it('never hands on an aborted controller', () => {
    const pool = new ControllerPool();
    const cancelled = pool.take();
    cancelled.abort(new Error('the client went away'));
    pool.give(cancelled);
    const next = pool.take();
    assert.notEqual(next, cancelled);
    assert.equal(next.signal.aborted, false);
  });

  it('drops a controller that still has an abort listener when it is taken', () => {
    const pool = new ControllerPool();
    const kept = pool.take();
    pool.give(kept);
    kept.signal.addEventListener('abort', () => {});
    assert.notEqual(pool.take(), kept);
  });

  it('builds new controllers with the factory it was given', () => {
    let built = 0;
    const pool = new ControllerPool(() => {
      built++;
      return new AbortController();
    });
    pool.take();
    pool.take();
    assert.equal(built, 2);
  });
});
