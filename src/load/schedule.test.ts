import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { openSchedule } from './schedule.js';

it('spaces calls evenly at the rate without a ramp', () => {
  const schedule = openSchedule(100, 0);
  assert.deepEqual([0, 1, 2, 100].map((k) => schedule.intendedAt(k)), [0, 10, 20, 1000]);
  assert.equal(schedule.countBefore(1000), 100);
  assert.equal(schedule.countBefore(1000.5), 101);
});

it('ramps linearly: half the calls of full rate over the ramp, then the full rate', () => {
  const schedule = openSchedule(100, 1000);
  assert.equal(schedule.countBefore(1000), 50);
  assert.equal(schedule.countBefore(2000), 150);
  assert.ok(schedule.intendedAt(1) - schedule.intendedAt(0) > schedule.intendedAt(49) - schedule.intendedAt(48), 'early gaps are longer');
});

it('countBefore is the inverse of intendedAt, and due times never go backwards', () => {
  fc.assert(
    fc.property(fc.double({ min: 0.5, max: 20_000, noNaN: true }), fc.nat(5000), fc.nat(10_000), (rate, ramp, k) => {
      const schedule = openSchedule(rate, ramp);
      const at = schedule.intendedAt(k);
      assert.ok(schedule.intendedAt(k + 1) > at);
      const before = schedule.countBefore(at);
      assert.ok(Math.abs(before - k) <= 1e-6 * k + 1 && before <= k, `countBefore(intendedAt(${k})) = ${before}`);
      assert.ok(schedule.countBefore(schedule.intendedAt(k + 1)) >= k);
    }),
  );
});
