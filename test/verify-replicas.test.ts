/**
 * `shield verify --replicas 3` end to end: the CLI in its own process starts a private redis-server,
 * three embedded Shield servers sharing one circuit through it, and runs scenarios 2, 3 and 4 with the
 * calls spread over the replicas. It passes with the plan's guard, fails (exit 1) when the shared
 * circuit cannot open in time (`--fail-max 1000`), and rejects bad flags with exit 2.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runShield } from './helpers/shield-cli.js';
import { readVerifyReport, reportScratch } from './helpers/verify-reports.js';

const scratch = reportScratch('shield-verify-replicas-');

test('--replicas 3: scenarios 2, 3 and 4 pass across three replicas sharing one circuit; 1 and 5 are skipped with the reason', async () => {
  const dir = join(scratch, 'pass');
  const run = await runShield(['verify', '--replicas', '3', '--time-scale', '1/50', '--report', dir], { timeoutMs: 40_000 });
  assert.equal(run.code, 0, `verify failed:\n${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /against embedded simulator and 3 Shield replicas sharing one circuit in Redis at redis:\/\/127\.0\.0\.1:\d+\/0/);
  for (const id of [2, 3, 4]) assert.match(run.stdout, new RegExp(`^Scenario ${id}: .*  PASS  `, 'm'));
  for (const id of [1, 5]) assert.match(run.stdout, new RegExp(`^Scenario ${id}: .*  SKIPPED  [^]*?skipped: not part of a run across 3 replicas`, 'm'));

  const report = readVerifyReport(dir);
  assert.equal(report.verdict, 'pass');
  assert.equal(report.replicas?.count, 3);
  assert.equal(report.server_url.split(', ').length, 3, 'every replica named');
  assert.deepEqual(report.scenarios.map((s) => [s.id, s.verdict]), [[1, 'skipped'], [2, 'pass'], [3, 'pass'], [4, 'pass'], [5, 'skipped']]);
  const two = report.scenarios[1]!;
  assert.equal(two.figures['hang.health_state'], 'open');
  assert.equal(two.figures['hang.health_fail_counter'], 5, 'five failures spread over three replicas count as five on one circuit');
  assert.equal(two.figures['hang.failures_before_open'], 5);
  const four = report.scenarios[3]!;
  assert.equal(four.figures['bulkhead.upstream_calls'], 5, 'the split bulkhead let exactly fail_max calls through cluster-wide');
  assert.equal(four.figures['bulkhead.fast_fails'], 45);
  assert.equal(four.figures['bulkhead.state_after'], 'open');
  assert.match(four.notes.join('\n'), /split among them \(2, 2, 1\)/);
  assert.match(readFileSync(join(dir, 'report.md'), 'utf8'), /\*\*Target\*\*: embedded simulator and 3 Shield replicas sharing one circuit in Redis/);
  assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /3 Shield replicas sharing one circuit in Redis/);
});

test('--replicas 3 --fail-max 1000: the shared circuit never opens, scenarios 2, 3 and 4 fail, exit 1', async () => {
  const dir = join(scratch, 'broken');
  const run = await runShield(['verify', '--replicas', '3', '--fail-max', '1000', '--down', 'refused', '--report', dir], { timeoutMs: 30_000 });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const report = readVerifyReport(dir);
  assert.equal(report.verdict, 'fail');
  assert.deepEqual(
    report.scenarios.filter((s) => [2, 3, 4].includes(s.id)).map((s) => [s.id, s.verdict]),
    [[2, 'fail'], [3, 'fail'], [4, 'fail']],
  );
  assert.match(run.stdout, /Circuit state = OPEN, fail_counter = 5 .*FAIL/s);
});

test('bad --replicas and --state values are usage errors: one line naming the flag, exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [['--replicas', '0'], /--replicas.*expected a positive integer/],
    [['--replicas', 'three'], /--replicas.*expected a positive integer/],
    [['--replicas', '99'], /--replicas.*from 1 to 16/],
    [['--replicas', '3', '--target', 'http://127.0.0.1:1'], /--replicas starts embedded servers/],
    [['--replicas', '3', '--scenarios', '1,2'], /--scenarios: 1 and 5 do not run across --replicas/],
    [['--state', 'redis://127.0.0.1:6379/0'], /--state is the Redis shared by --replicas/],
    [['--replicas', '2', '--state', 'localhost'], /--state "localhost" is not a Redis URL/],
  ];
  for (const [args, message] of cases) {
    const run = await runShield(['verify', ...args, '--report', join(scratch, 'usage')], { timeoutMs: 20_000 });
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('--state naming a Redis nobody listens on: exit 3, naming the URL', async () => {
  const run = await runShield(['verify', '--replicas', '2', '--state', 'redis://127.0.0.1:1/0', '--report', join(scratch, 'unreachable')], { timeoutMs: 20_000 });
  assert.equal(run.code, 3, run.stdout + run.stderr);
  assert.match(run.stderr, /--state redis:\/\/127\.0\.0\.1:1\/0: cannot reach Redis/);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
});
