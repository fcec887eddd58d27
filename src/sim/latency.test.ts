import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLatency, parseLatency, sampleLatency } from './latency.js';
import { seededRandom } from './prng.js';

test('parses a fixed latency or a range, and rejects the rest', () => {
  assert.deepEqual(parseLatency('50ms'), { minMs: 50, maxMs: 50 });
  assert.deepEqual(parseLatency('20ms..200ms'), { minMs: 20, maxMs: 200 });
  assert.deepEqual(parseLatency('0..1s'), { minMs: 0, maxMs: 1000 });
  for (const bad of ['', 'fast', '200ms..20ms', '1ms..2ms..3ms', '5ms..']) assert.equal(parseLatency(bad), undefined, bad);
  assert.equal(formatLatency({ minMs: 20, maxMs: 200 }), '20ms..200ms');
  assert.equal(formatLatency({ minMs: 0, maxMs: 0 }), '0ms');
});

test('samples stay within the range and are reproducible by seed', () => {
  const range = { minMs: 20, maxMs: 200 };
  const draw = () => {
    const random = seededRandom(5);
    return Array.from({ length: 1_000 }, () => sampleLatency(range, random));
  };
  const samples = draw();
  assert.ok(samples.every((ms) => ms >= 20 && ms <= 200));
  assert.ok(Math.min(...samples) < 40 && Math.max(...samples) > 180, 'the whole range is used');
  assert.deepEqual(draw(), samples);
  assert.equal(sampleLatency({ minMs: 30, maxMs: 30 }, seededRandom(1)), 30);
});
