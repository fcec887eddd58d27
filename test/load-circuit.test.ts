/**
 * The plan's expectations against a breaker: an SDK-built server with a breaker-like tool, and the
 * real Shield server in front of the simulated orchestrator, taken down through its chaos control
 * (the upstream timeout is generous: a refused connection fails at once, and this machine is shared).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runLoad } from '../src/load/index.js';
import { startSim } from '../src/sim/index.js';
import type { ChaosHandle } from '../src/sim/index.js';
import { FakeBreaker, startSdkServer } from './load-fixtures.js';
import { orchestratorConfig, startShield, type TestServer } from './server-helpers.js';

describe('expectations against an SDK-built server with a breaker-like tool', () => {
  it('--expect-success passes while the upstream is healthy, and the timeline stays closed', async () => {
    const breaker = new FakeBreaker();
    breaker.latencyMs = 2;
    const server = await startSdkServer('v2', { breaker });
    try {
      const report = await runLoad({ server: server.url, tool: 'lightrag_query', args: { query: 'test', mode: 'hybrid' }, concurrency: 5, durationMs: 700, healthIntervalMs: 50, expectSuccess: true });
      assert.equal(report.passed, true, JSON.stringify(report.expectations));
      assert.deepEqual(report.expectations.map((e) => e.expression), ['calls>0', 'failures==0', 'p95<5s', 'circuit_never_open']);
      assert.deepEqual(Object.keys(report.outcomes), ['success']);
      assert.deepEqual(report.circuit.upstreams.orchestrator?.segments.map((s) => s.state), ['closed']);
      assert.equal(report.circuit.first_open_ms, null);
      assert.equal(report.config.protocol_version, '2026-07-28');
    } finally {
      await server.close();
    }
  });

  it('--expect-circuit-open sees the opening and the fast-fails; --expect-success fails with measured values', async () => {
    const breaker = new FakeBreaker();
    breaker.down = true;
    breaker.failDelayMs = 20;
    const server = await startSdkServer('v1-stateful', { json: false, breaker });
    try {
      const open = await runLoad({ server: server.url, tool: 'lightrag_query', args: { query: 'test' }, concurrency: 5, durationMs: 700, healthIntervalMs: 50, expectCircuitOpen: true });
      // The fast-fail latency limit (100 ms) is checked too, but this shared machine can miss it.
      assert.deepEqual(open.expectations.map((e) => [e.expression, e.passed || e.expression.startsWith('fast_fail_p99')]), [
        ['circuit_opened', true],
        ['fast_fails>0', true],
        ['fast_fail_p99<100ms', true],
      ]);
      assert.equal(open.expectations[2]?.measured, (open.circuit.fast_fail?.latency_us.p99 ?? 0) / 1000);
      assert.equal(open.outcomes.orchestrator_error?.reasons?.connection_refused, open.outcomes.orchestrator_error?.count);
      const upstreamFailures = open.outcomes.orchestrator_error?.count ?? 0;
      assert.ok(upstreamFailures >= 5 && upstreamFailures <= 9, `about fail_max failures, then fast-fails: ${upstreamFailures}`);
      assert.ok((open.outcomes.circuit_breaker_error?.count ?? 0) > 20, `${open.outcomes.circuit_breaker_error?.count} fast-fails`);
      assert.ok(
        open.circuit.fast_fails_after_open > 0 && open.circuit.fast_fails_after_open === open.circuit.calls_after_open,
        `every call sent after the opening failed fast: ${open.circuit.fast_fails_after_open} of ${open.circuit.calls_after_open}`,
      );
      assert.ok(open.circuit.first_open_ms !== null && open.circuit.first_open_ms < 3000, `first seen open at ${open.circuit.first_open_ms} ms`);
      assert.ok(open.circuit.upstreams.orchestrator?.segments.some((s) => s.state === 'open'));
      assert.ok((open.circuit.upstreams.orchestrator?.max_fail_counter ?? 0) >= 5, 'fail_counter reached fail_max');
      assert.equal(open.circuit.upstreams.orchestrator?.fail_max, 5);

      const success = await runLoad({ server: server.url, tool: 'lightrag_query', args: { query: 'test' }, concurrency: 2, durationMs: 300, healthIntervalMs: 50, expectSuccess: true });
      assert.equal(success.passed, false);
      const failures = success.expectations.find((e) => e.expression === 'failures==0');
      assert.equal(failures?.passed, false);
      assert.equal(failures?.measured, success.totals.failed);
      assert.match(failures?.measured_text ?? '', /^failures = \d+$/);
      assert.match(success.expectations.find((e) => e.expression === 'circuit_never_open')?.measured_text ?? '', /seen open at/);
    } finally {
      await server.close();
    }
  });
});

describe('sessions', () => {
  it('--sessions per-worker opens one MCP session per worker and ends each with DELETE', async () => {
    const server = await startSdkServer('v1-stateful', { json: true });
    try {
      const report = await runLoad({ server: server.url, tool: 'echo', args: { text: 'x' }, concurrency: 3, requests: 12, sessions: 'per-worker', healthIntervalMs: 0 });
      assert.equal(report.totals.succeeded, 12);
      assert.equal(report.config.sessions, 'per-worker');
      assert.equal(server.deletes(), 3);
    } finally {
      await server.close();
    }
  });
});

describe('expectations against Shield in front of the simulated orchestrator', () => {
  let sim: ChaosHandle;
  let shield: TestServer;

  before(async () => {
    sim = await startSim({ latency: { minMs: 5, maxMs: 5 } });
    shield = await startShield(orchestratorConfig(sim.url, { timeout: '5s', max_concurrent: 5, max_queue: 20, breaker: { fail_max: 5, reset_timeout: '60s' } }, { log: { level: 'silent' } }));
  });
  after(async () => {
    await shield.close(0);
    await sim.close();
  });

  it('scenario 1 (--expect-success) passes against a healthy orchestrator', async () => {
    const report = await runLoad({ server: shield.url, tool: 'lightrag_query', args: { query: 'test', mode: 'hybrid' }, concurrency: 10, durationMs: 800, expectSuccess: true });
    assert.equal(report.passed, true, JSON.stringify(report.expectations));
    assert.ok(report.totals.calls > 10);
    assert.equal(report.config.server_info?.name, 'shield');
    assert.deepEqual(report.circuit.upstreams.orchestrator?.segments.map((s) => s.state), ['closed']);
  });

  it('scenario 4 (--orchestrator-down --chaos, 50 at once) sees the circuit open and brings the orchestrator back', async () => {
    const report = await runLoad({
      server: shield.url,
      tool: 'lightrag_query',
      args: { query: 'test', mode: 'hybrid' },
      concurrency: 50,
      requests: 50,
      orchestratorDown: true,
      chaosUrl: sim.controlUrl,
      expectCircuitOpen: true,
      healthIntervalMs: 50,
    });
    assert.equal(sim.mode().mode, 'healthy', 'the orchestrator is back up after the run');
    assert.equal(report.totals.calls, 50);
    // A refused connection fails in about a millisecond, so a freed bulkhead slot may admit a caller
    // or two before the fifth failure opens the circuit.
    const reachedUpstream = report.outcomes.orchestrator_error?.count ?? 0;
    assert.ok(reachedUpstream >= 5 && reachedUpstream <= 10, `${reachedUpstream} calls reached the upstream`);
    const fastFails = (report.outcomes.overloaded?.count ?? 0) + (report.outcomes.circuit_breaker_error?.count ?? 0);
    assert.equal(fastFails, 50 - reachedUpstream, 'every other call failed fast');
    const opened = report.expectations.find((e) => e.expression === 'circuit_opened');
    assert.equal(opened?.passed, true, opened?.measured_text);
    assert.equal(report.expectations.find((e) => e.expression === 'fast_fails>0')?.measured, fastFails);
    assert.equal(report.circuit.fast_fail?.latency_us.count, fastFails);
  });
});
