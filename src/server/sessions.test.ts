import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../breaker/clock.js';
import { SessionStore } from './sessions.js';

function store(options: { idleTimeoutMs?: number; maxSessions?: number } = {}) {
  const clock = new FakeClock(1_000);
  const ended: string[] = [];
  const sessions = new SessionStore({
    idleTimeoutMs: options.idleTimeoutMs ?? 1_000,
    maxSessions: options.maxSessions ?? 100,
    clock,
    onEnd: (session, why) => ended.push(`${session.id}:${why}`),
  });
  return { clock, sessions, ended };
}

describe('SessionStore', () => {
  it('a used session stays; an idle one expires on touch', () => {
    const { clock, sessions, ended } = store();
    const a = sessions.create('2025-06-18');
    clock.advance(900);
    assert.equal(sessions.touch(a.id)?.protocolVersion, '2025-06-18');
    clock.advance(900);
    assert.ok(sessions.touch(a.id));
    clock.advance(1_000);
    assert.equal(sessions.touch(a.id), undefined);
    assert.deepEqual(ended, [`${a.id}:expired`]);
    assert.equal(sessions.size, 0);
  });

  it('the sweep timer ends idle sessions without any request, and stops when none are left', () => {
    const { clock, sessions } = store({ idleTimeoutMs: 1_000 });
    sessions.create('2025-11-25');
    sessions.create('2025-11-25');
    clock.advance(2_000);
    assert.equal(sessions.size, 0);
    assert.equal(clock.pendingTimers, 0);
  });

  it('at the cap the least recently used session is evicted', () => {
    const { clock, sessions, ended } = store({ maxSessions: 2 });
    const a = sessions.create('2025-11-25');
    clock.advance(1);
    const b = sessions.create('2025-11-25');
    clock.advance(1);
    sessions.touch(a.id);
    const c = sessions.create('2025-11-25');
    assert.deepEqual(ended, [`${b.id}:evicted`]);
    assert.ok(sessions.touch(a.id));
    assert.ok(sessions.touch(c.id));
    assert.equal(sessions.size, 2);
  });

  it('delete ends a session once; unknown ids are false', () => {
    const { sessions, ended } = store();
    const a = sessions.create('2025-03-26');
    assert.equal(sessions.delete(a.id), true);
    assert.equal(sessions.delete(a.id), false);
    assert.equal(sessions.delete('nope'), false);
    assert.deepEqual(ended, [`${a.id}:deleted`]);
  });

  it('close ends everything and cancels the sweep', () => {
    const { clock, sessions } = store();
    for (let i = 0; i < 5; i++) sessions.create('2025-11-25');
    sessions.close();
    assert.equal(sessions.size, 0);
    assert.equal(clock.pendingTimers, 0);
  });

  it('10,000 sessions opened and expired leave nothing behind', () => {
    const { clock, sessions } = store({ idleTimeoutMs: 1_000, maxSessions: 10_000 });
    for (let i = 0; i < 10_000; i++) sessions.create('2025-11-25');
    assert.equal(sessions.size, 10_000);
    clock.advance(1_500);
    assert.equal(sessions.size, 0);
  });
});
