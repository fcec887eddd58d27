import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseThreshold } from './expectations.js';

it('parses thresholds with the unit each metric takes', () => {
  assert.deepEqual(parseThreshold('p95<5s'), { expression: 'p95<5s', metric: 'p95', operator: '<', value: 5000, kind: 'duration' });
  assert.equal(parseThreshold('fast_fail_p99 < 1ms').value, 1);
  assert.equal(parseThreshold('success_p99.9<=250ms').value, 250);
  assert.equal(parseThreshold('error_rate<1%').value, 0.01);
  assert.equal(parseThreshold('error_rate<0.01').value, 0.01);
  assert.equal(parseThreshold('circuit_opened_within<10s').value, 10_000);
  assert.equal(parseThreshold('throughput>=100').kind, 'rate');
  assert.equal(parseThreshold('circuit_breaker_error>0').kind, 'count');
  assert.equal(parseThreshold('orchestrator_error_p50<31s').kind, 'duration');
});

it('refuses malformed thresholds naming the flag and what was expected', () => {
  assert.throws(() => parseThreshold('p95'), { name: 'UsageError', message: /--threshold 'p95': expected <metric><op><value>/ });
  assert.throws(() => parseThreshold('latency<5s'), { message: /unknown metric 'latency'; expected p50\|p90/ });
  assert.throws(() => parseThreshold('p95<fast'), { message: /expected a duration like 250ms/ });
  assert.throws(() => parseThreshold('error_rate<2'), { message: /expected a fraction from 0 to 1/ });
  assert.throws(() => parseThreshold('calls>many'), { message: /expected a number/ });
});
