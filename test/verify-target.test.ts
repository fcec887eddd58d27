/**
 * `shield verify --target` against a deployment: a real Shield server with a real simulator in
 * front of which sits its control API, both started here; the CLI runs in its own process. With
 * `--chaos` the fault scenarios run; without it they are SKIPPED with the reason, never passed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { resolveConfig, startServer } from '../src/server/index.js';
import type { RunningServer } from '../src/server/index.js';
import { startSim } from '../src/sim/index.js';
import type { ChaosHandle } from '../src/sim/index.js';
import { runShield } from './helpers/shield-cli.js';
import { readVerifyReport, reportScratch } from './helpers/verify-reports.js';

const scratch = reportScratch('shield-verify-target-');
let sim: ChaosHandle;
let server: RunningServer;

before(async () => {
  sim = await startSim({ latency: { minMs: 5, maxMs: 15 } });
  // The deployment is configured at the plan's settings scaled by 1/100, as verify --time-scale 1/100 expects.
  const config = resolveConfig(
    {
      server: { host: '127.0.0.1', port: 0, shutdown_grace: '100ms' },
      log: { level: 'silent' },
      upstreams: { orchestrator: { url: sim.url, timeout: '300ms', breaker: { fail_max: 5, reset_timeout: '600ms' } } },
    },
    { env: {} },
  );
  server = await startServer(config);
});

after(async () => {
  await server?.close(0);
  await sim?.close();
});

test('--target with --chaos takes the orchestrator down through its control API and verifies scenarios 2 and 3', async () => {
  const dir = join(scratch, 'chaos');
  const run = await runShield(['verify', '--target', server.origin, '--chaos', sim.controlUrl, '--scenarios', '2,3', '--time-scale', '1/100', '--report', dir]);
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const result = readVerifyReport(dir);
  assert.equal(result.mode, 'target');
  assert.equal(result.server_url, `${server.origin}/mcp`);
  assert.equal(result.chaos_url, `${sim.controlUrl}/control`);
  assert.deepEqual(result.scenarios.map((s) => [s.id, s.verdict]), [[2, 'pass'], [3, 'pass']]);
  assert.equal(result.scenarios[0]!.figures['refused.health_fail_counter'], 5);
  assert.ok(sim.counters().faults_by_kind.down > 0 || sim.counters().faults_by_kind.hang > 0, 'the faults went through the control API');
  assert.equal(sim.mode().mode, 'healthy', 'the orchestrator is left up');
  const circuit = server.guards.get('orchestrator')!.snapshot();
  assert.equal(circuit.state, 'closed', 'scenario 3 recovered the deployment');
});

test('--target without --chaos: the fault scenarios are SKIPPED with the reason, and the run is not a pass', async () => {
  const dir = join(scratch, 'no-chaos');
  const run = await runShield(['verify', '--target', server.url, '--scenarios', '1,2', '--time-scale', '1/100', '--report', dir]);
  assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /^Scenario 2: Gradual failures \(circuit opens\) {2}SKIPPED/m);
  assert.match(run.stdout, /skipped: it needs the orchestrator taken down: pass --chaos/);
  const result = readVerifyReport(dir);
  assert.equal(result.verdict, 'fail');
  assert.deepEqual(result.scenarios.map((s) => [s.id, s.verdict]), [[1, 'pass'], [2, 'skipped']]);
  const criteria = Object.fromEntries(result.criteria.map((c) => [c.criterion, c.verdict]));
  assert.equal(criteria['Circuit opens after failures'], 'skipped');
  assert.equal(criteria['Reset timeout'], 'not_run');
  assert.match(readFileSync(join(dir, 'report.md'), 'utf8'), /Permission to stop\/start orchestrator: ❌/);
});
