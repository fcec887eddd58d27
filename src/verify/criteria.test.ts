import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Figure, ScenarioId, ScenarioResult } from '../report/verify-report.js';
import { measureCriteria, RESOURCE_LIMITS } from './criteria.js';
import { scaledSettings } from './plan.js';

const settings = scaledSettings(0.01);

function scenario(id: ScenarioId, verdict: ScenarioResult['verdict'], figures: Record<string, Figure> = {}): ScenarioResult {
  return { id, title: '', objective: '', verdict, skip_reason: null, elapsed_ms: 0, checks: [], figures, runs: [], notes: [] };
}

const resources = { rss_bytes: 100e6, open_fds: 40, sockets: 5, in_flight: 0, queued: 0 };

test('rows follow their scenarios: not run when not selected, skipped when skipped, measured otherwise', () => {
  const rows = measureCriteria(
    [scenario(2, 'pass', { 'refused.failures_before_open': 5, 'hang.failures_before_open': 4 }), scenario(4, 'skipped')],
    settings,
    0.01,
    null,
  );
  const verdicts = Object.fromEntries(rows.map((row) => [row.criterion, row.verdict]));
  assert.deepEqual(verdicts, {
    'Circuit opens after failures': 'fail',
    'Fast-fail response time': 'fail',
    'Reset timeout': 'not_run',
    'Recovery on success': 'not_run',
    'Resource protection': 'fail',
    'Concurrent requests': 'skipped',
  });
  assert.equal(rows[0]!.observed, 'refused: 5, hang: 4');
  assert.equal(rows[2]!.target, '60 seconds (600ms at 1/100)');
});

test('the reset timeout passes within its tolerance, and recovery needs a half-open first', () => {
  const figures = { reset_timeout_measured_ms: 640, reset_timeout_tolerance_ms: 60, recovery_outcome: 'success', state_after_recovery: 'closed', fail_counter_after_recovery: 0 };
  const rows = measureCriteria([scenario(3, 'pass', figures)], settings, 0.01, null);
  assert.equal(rows.find((r) => r.criterion === 'Reset timeout')!.verdict, 'pass');
  assert.equal(rows.find((r) => r.criterion === 'Recovery on success')!.verdict, 'pass');
  const late = measureCriteria([scenario(3, 'fail', { ...figures, reset_timeout_measured_ms: 661 })], settings, 0.01, null);
  assert.equal(late.find((r) => r.criterion === 'Reset timeout')!.verdict, 'fail');
  const never = measureCriteria([scenario(3, 'fail', { ...figures, reset_timeout_measured_ms: null })], settings, 0.01, null);
  assert.equal(never.find((r) => r.criterion === 'Recovery on success')!.verdict, 'fail');
});

test('resource protection fails on leaked descriptors or calls left in flight', () => {
  const row = (after: typeof resources) =>
    measureCriteria([scenario(2, 'pass')], settings, 0.01, { before: resources, during: { ...resources, open_fds: 90 }, after }).find((r) => r.criterion === 'Resource protection')!;
  assert.equal(row({ ...resources, rss_bytes: resources.rss_bytes + 50e6 }).verdict, 'pass');
  assert.equal(row({ ...resources, open_fds: resources.open_fds + RESOURCE_LIMITS.fdGrowth + 1 }).verdict, 'fail');
  assert.equal(row({ ...resources, in_flight: 1 }).verdict, 'fail');
  assert.match(row(resources).observed, /fds 40 → 90 → 40, sockets 5 → 5 → 5; in flight 0/);
});
