import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMode, toMode } from './mode.js';

test('valid modes are filled with their defaults; up is healthy', () => {
  assert.deepEqual(parseMode({ mode: 'error' }), { ok: true, mode: { mode: 'error', status: 500 } });
  assert.deepEqual(parseMode({ mode: 'up' }), { ok: true, mode: { mode: 'healthy' } });
  assert.deepEqual(parseMode({ mode: 'flaky', rate: 0.25 }), {
    ok: true,
    mode: { mode: 'flaky', rate: 0.25, fault: 'error', status: 500, seed: 1, per: 'request' },
  });
  assert.deepEqual(toMode({ mode: 'slow', delay_ms: 30_000 }), { mode: 'slow', delay_ms: 30_000 });
});

test('invalid modes get a reason naming the field', () => {
  const reasons: Array<[unknown, RegExp]> = [
    [null, /JSON object/],
    [{ mode: 7 }, /unknown mode 7; expected one of/],
    [{ mode: 'flaky' }, /^rate: /],
    [{ mode: 'flaky', rate: -0.1 }, /^rate: /],
    [{ mode: 'flaky', rate: 0.5, fault: 'slow' }, /^delay_ms: delay_ms is required when fault is slow/],
    [{ mode: 'flaky', rate: 0.5, per: 'day' }, /^per: /],
    [{ mode: 'flaky', rate: 0.5, seed: 1.5 }, /^seed: /],
    [{ mode: 'slow', delay_ms: -1 }, /^delay_ms: /],
    [{ mode: 'slow', delay_ms: 4_000_000 }, /^delay_ms: /],
    [{ mode: 'error', status: 600 }, /^status: /],
    [{ mode: 'hang', rate: 0.5 }, /^mode hang: Unrecognized key/],
  ];
  for (const [input, reason] of reasons) {
    const result = parseMode(input);
    assert.equal(result.ok, false, JSON.stringify(input));
    if (!result.ok) assert.match(result.reason, reason, JSON.stringify(input));
  }
  assert.throws(() => toMode({ mode: 'error', status: 200 }), /invalid chaos mode: status/);
});
