/**
 * `shield verify` end to end, as a user runs it: the CLI in its own process, the embedded simulator
 * and server on loopback ports, the plan's durations scaled down. It passes with the default guard,
 * fails (exit 1) on the right scenarios with a broken one, and rejects bad flags with exit 2.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runShield, SHIELD_MAIN } from './helpers/shield-cli.js';
import { readVerifyReport, reportScratch } from './helpers/verify-reports.js';

const scratch = reportScratch('shield-verify-');

test('the whole plan at a small scale (1/25) passes: exit 0, every scenario and criterion, and the three reports', async () => {
  const dir = join(scratch, 'pass');
  // 1/25 rather than the default 1/100: the same plan at a quarter of the call rate, so scenario 1's
  // p95 measures Shield rather than a CPU shared with other test files.
  const run = await runShield(['verify', '--time-scale', '1/25', '--report', dir]);
  assert.equal(run.code, 0, `verify failed:\n${run.stdout}\n${run.stderr}`);
  for (const id of [1, 2, 3, 4, 5]) assert.match(run.stdout, new RegExp(`^Scenario ${id}: .*  PASS  `, 'm'));
  assert.match(run.stdout, /^Success criteria {2}PASS$/m);
  assert.match(run.stdout, /^PASS: 5 of 5 scenarios passed, 6 of 6 criteria met/m);
  assert.match(run.stderr, /· scenario 4: bulkhead max_concurrent = 5/, 'progress goes to stderr');

  const report = readVerifyReport(dir);
  assert.equal(report.schema, 'shield-verify-report/1');
  assert.equal(report.verdict, 'pass');
  assert.equal(report.time_scale, 0.04);
  assert.deepEqual(report.settings.timeout_ms, 1_200);
  assert.deepEqual(report.scenarios.map((s) => [s.id, s.verdict]), [[1, 'pass'], [2, 'pass'], [3, 'pass'], [4, 'pass'], [5, 'pass']]);
  assert.deepEqual(report.criteria.map((c) => c.verdict), ['pass', 'pass', 'pass', 'pass', 'pass', 'pass']);
  const two = report.scenarios[1]!;
  assert.deepEqual(two.runs.map((r) => r.label), ['down: refused', 'down: hang']);
  assert.equal(two.figures['hang.failures_before_open'], 5);
  const four = report.scenarios[3]!;
  assert.equal(four.figures['bulkhead.upstream_calls'], 5, 'the bulkhead let exactly fail_max calls through');
  assert.equal(four.figures['default.upstream_calls'], 50, 'the default guard admitted all 50');

  const markdown = readFileSync(join(dir, 'report.md'), 'utf8');
  assert.match(markdown, /### Test Run #2 - Dynamic Validation\n\*\*Date\*\*: \d{4}-\d\d-\d\d \d\d:\d\d UTC {2}\n\*\*Status\*\*: ✅ PASS/);
  assert.match(markdown, /\*\*Time scale\*\*: 1\/25: 30s timeout → 1.20s, 60s reset timeout → 2.40s/);
  assert.match(markdown, /\| Reset timeout \| 60 seconds \(2.40s at 1\/25\) \|/);
  assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<title>Shield verify/);
  assert.match(readFileSync(join(dir, 'server.log'), 'utf8'), /"event":"circuit_breaker_state_change"/);
});

test('a guard without a breaker fails the fault scenarios, names what failed, and exits 1', async () => {
  const dir = join(scratch, 'broken');
  const run = await runShield(['verify', '--no-breaker', '--scenarios', '2,3,4,5', '--down', 'refused', '--report', dir]);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const report = readVerifyReport(dir);
  assert.equal(report.verdict, 'fail');
  assert.deepEqual(report.scenarios.map((s) => [s.id, s.verdict]), [[2, 'fail'], [3, 'fail'], [4, 'fail'], [5, 'fail']]);
  const failed = (id: number) => report.scenarios.find((s) => s.id === id)!.checks.filter((c) => c.verdict === 'fail').map((c) => c.name);
  assert.ok(failed(2).includes('Request 6 fails instantly with circuit_breaker_error'), failed(2).join('; '));
  assert.ok(failed(3).includes('After the reset timeout, circuit moves to HALF_OPEN'));
  assert.ok(failed(4).includes('Bulkhead: Circuit opens and stays OPEN'));
  assert.ok(failed(5).includes('Rate policy: Most requests fail fast'));
  const criteria = Object.fromEntries(report.criteria.map((c) => [c.criterion, c.verdict]));
  assert.equal(criteria['Circuit opens after failures'], 'fail');
  assert.equal(criteria['Recovery on success'], 'fail');
  assert.equal(criteria['Concurrent requests'], 'pass', 'every call is still answered');
  assert.match(run.stdout, /^FAIL: 0 of 4 scenarios passed, 4 failed/m);
});

test('fail_max 1000 is caught by scenario 2 alone', async () => {
  const dir = join(scratch, 'fail-max');
  const run = await runShield(['verify', '--fail-max', '1000', '--scenarios', '2', '--down', 'refused', '--report', dir]);
  assert.equal(run.code, 1);
  assert.match(run.stdout, /Circuit state = OPEN, fail_counter = 5\s+\{"state": "open",\s+\{"state": "closed", "fail_counter": 5\}\s+FAIL/);
  const criteria = readVerifyReport(dir).criteria.map((c) => [c.criterion, c.verdict]);
  assert.deepEqual(criteria.slice(0, 3), [
    ['Circuit opens after failures', 'fail'],
    ['Fast-fail response time', 'fail'],
    ['Reset timeout', 'not_run'],
  ]);
});

test('bad flags are one clear line and exit 2; an unreachable target is exit 3', async () => {
  const dir = join(scratch, 'usage');
  const cases: Array<[string[], RegExp]> = [
    [['--scenarios', '7'], /option '--scenarios <list>' argument '7' is invalid\. expected scenario numbers from 1 to 5/],
    [['--time-scale', '2'], /'--time-scale <factor>' argument '2' is invalid\. expected a factor above 0 and at most 1/],
    [['--down', 'sideways'], /'--down <kind>' argument 'sideways' is invalid\. expected refused, hang or both/],
    [['--chaos', 'http://127.0.0.1:9623'], /--chaos needs --target/],
    [['--full', '--time-scale', '0.1'], /--full and --time-scale contradict each other/],
    [['--target', '127.0.0.1:1', '--fail-max', '3'], /--fail-max and --no-breaker change the embedded server/],
    [['--report', SHIELD_MAIN], /--report .*main\.ts: cannot create the directory/],
  ];
  const [unreachable, ...runs] = await Promise.all([
    runShield(['verify', '--target', '127.0.0.1:1', '--report', dir]),
    ...cases.map(([args]) => runShield(['verify', '--report', dir, ...args])),
  ]);
  cases.forEach(([args, message], i) => {
    const run = runs[i]!;
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.equal(run.stderr.trim().split('\n').length, 1, `one line: ${run.stderr}`);
  });
  assert.ok(unreachable);
  assert.equal(unreachable.code, 3, unreachable.stderr);
  assert.match(unreachable.stderr, /^error: cannot reach http:\/\/127\.0\.0\.1:1\/health/m);
  assert.doesNotMatch(unreachable.stderr, /\n\s+at /, 'no stack trace');
});
