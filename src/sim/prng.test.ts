import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { seededRandom } from './prng.js';

test('the same seed gives the same sequence; another seed another', () => {
  const draw = (seed: number) => Array.from({ length: 100 }, seededRandom(seed));
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
});

test('draws lie in [0, 1) and are spread evenly', () => {
  fc.assert(
    fc.property(fc.integer(), (seed) => {
      const random = seededRandom(seed);
      const buckets = new Array<number>(10).fill(0);
      for (let i = 0; i < 5_000; i++) {
        const value = random();
        assert.ok(value >= 0 && value < 1);
        buckets[Math.floor(value * 10)]!++;
      }
      for (const count of buckets) assert.ok(count > 380 && count < 620, `bucket ${count} of 5000`);
    }),
    { numRuns: 20 },
  );
});
