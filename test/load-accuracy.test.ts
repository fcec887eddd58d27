/**
 * What the load generator measures, against a bare endpoint on its own thread: accuracy against a
 * fixed 50 ms latency, a 1 s stall that the open model shows and a closed loop hides, late and
 * dropped calls, counted runs with warmup, and stopping early.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { runLoad, type CallRecord } from '../src/load/index.js';
import { startBareServer } from './load-fixtures.js';

/** Nearest-rank percentile of raw samples: the exact reference for the histogram's figures. */
function exactPercentile(sorted: number[], percentile: number): number {
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

function within(actualUs: number, expectedUs: number, label: string): void {
  const margin = expectedUs * 0.05 + 1000;
  assert.ok(Math.abs(actualUs - expectedUs) <= margin, `${label}: ${actualUs} µs is not within 5% + 1 ms of ${expectedUs} µs`);
}

describe('load accuracy and models', () => {
  it('reports p50 and p99 of a fixed 50 ms server within 5% + 1 ms', async () => {
    const server = await startBareServer({ fixedMs: 50 });
    try {
      const calls: CallRecord[] = [];
      // A plain undici caller timing the same server at the same time: the reference for what a
      // caller on this (shared, noisy) machine really waits, beside the server's nominal 50 ms.
      const reference: number[] = [];
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: {} } });
      let running = true;
      const probe = (async () => {
        while (running) {
          const started = performance.now();
          const response = await request(server.url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
          await response.body.text();
          reference.push(Math.round((performance.now() - started) * 1000));
        }
      })();
      const report = await runLoad({ server: server.url, tool: 'echo', concurrency: 4, durationMs: 1500, healthIntervalMs: 0, onCall: (call) => calls.push(call) });
      running = false;
      await probe;
      assert.ok(report.totals.calls >= 40, `only ${report.totals.calls} calls`);
      assert.equal(report.totals.calls, calls.length);
      assert.equal(report.totals.calls + reference.length, server.calls(), 'every call the server answered is counted once');
      const { p50, p99, min } = report.latency.latency_us;
      assert.ok(min >= 49_500, `no call can beat the server's 50 ms, min = ${min} µs`);
      const referenceSorted = reference.sort((a, b) => a - b);
      within(p50, exactPercentile(referenceSorted, 50), 'p50 against the reference caller');
      const sorted = calls.map((call) => call.latency_us).sort((a, b) => a - b);
      within(p50, exactPercentile(sorted, 50), 'p50 against the raw samples');
      within(p99, exactPercentile(sorted, 99), 'p99 against the raw samples');
      assert.equal(report.outcomes.success?.count, report.totals.calls);
    } finally {
      await server.close();
    }
  });

  it('shows a 1 s stall in p99 with the open model; a closed loop hides it', async () => {
    const stall = { afterFirstCallMs: 400, durationMs: 1000 };
    const openServer = await startBareServer({ fixedMs: 1, stall });
    const closedServer = await startBareServer({ fixedMs: 1, stall });
    try {
      const open = await runLoad({ server: openServer.url, tool: 'echo', rate: 100, concurrency: 200, durationMs: 2000, healthIntervalMs: 0 });
      const closed = await runLoad({ server: closedServer.url, tool: 'echo', concurrency: 1, durationMs: 2000, healthIntervalMs: 0 });
      assert.equal(open.config.model, 'open');
      assert.ok(open.totals.calls >= 180 && open.totals.calls <= 201, `open model made ${open.totals.calls} calls at 100/s for 2 s`);
      assert.ok(open.latency.latency_us.p99 >= 800_000, `open model p99 = ${open.latency.latency_us.p99} µs should show the stall`);
      assert.ok(open.latency.latency_us.p90 >= 300_000, `about half the calls fall in the stall, p90 = ${open.latency.latency_us.p90} µs`);
      assert.equal(open.totals.late, 0);
      assert.equal(open.totals.dropped, 0);

      assert.ok(closed.latency.latency_us.max >= 900_000, 'the closed loop did meet the stall');
      assert.ok(closed.latency.latency_us.p99 < 200_000, `closed loop p99 = ${closed.latency.latency_us.p99} µs hides the stall`);
      const stalledSeconds = closed.series.filter((point) => point.calls <= 1);
      assert.ok(stalledSeconds.length >= 1, 'the per-second series shows the closed loop sending almost nothing during the stall');
    } finally {
      await openServer.close();
      await closedServer.close();
    }
  });

  it('counts calls sent late for want of a slot, and calls never sent, in the open model', async () => {
    const server = await startBareServer({ fixedMs: 50 });
    try {
      const report = await runLoad({ server: server.url, tool: 'echo', rate: 200, concurrency: 2, durationMs: 1000, healthIntervalMs: 0 });
      // 2 slots × 20 calls/s each sustain 40 of the 200 calls/s asked for.
      assert.ok(report.totals.late > 0, 'late calls counted');
      assert.ok(report.totals.dropped > 100, `dropped = ${report.totals.dropped}`);
      assert.ok(report.totals.calls + report.totals.dropped <= 201 && report.totals.calls + report.totals.dropped >= 199);
      assert.ok(report.latency.latency_us.p99 > 300_000, 'latency counts the wait for a slot');
      assert.ok(report.warnings.some((warning) => /--concurrency/.test(warning)));
    } finally {
      await server.close();
    }
  });

  it('makes exactly --requests measured calls, warmup calls on top, and ramps workers in', async () => {
    const server = await startBareServer({ fixedMs: 5 });
    try {
      const report = await runLoad({ server: server.url, tool: 'echo', concurrency: 5, requests: 37, warmupMs: 150, rampMs: 50, healthIntervalMs: 0 });
      assert.equal(report.totals.calls, 37);
      assert.ok(report.totals.warmup_calls > 0);
      assert.equal(server.calls(), 37 + report.totals.warmup_calls);
      assert.equal(report.config.requests, 37);
      assert.equal(report.config.duration_ms, null);
    } finally {
      await server.close();
    }
  });

  it('counts transport errors when the server goes away mid-run, and keeps going', async () => {
    const server = await startBareServer({ fixedMs: 5 });
    setTimeout(() => void server.close(), 300);
    const report = await runLoad({ server: server.url, tool: 'echo', concurrency: 2, durationMs: 700, healthIntervalMs: 0 });
    assert.ok((report.outcomes.success?.count ?? 0) > 5, 'calls succeeded before the server went away');
    assert.ok((report.outcomes.transport_error?.count ?? 0) > 0, 'and failed as transport errors after');
    assert.ok(report.elapsed_ms >= 650, 'the run lasted its duration');
  });

  it('stops early on abort and still reports', async () => {
    const server = await startBareServer({ fixedMs: 200 });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 500);
      const started = performance.now();
      const report = await runLoad({ server: server.url, tool: 'echo', concurrency: 3, durationMs: 30_000, healthIntervalMs: 0, signal: controller.signal });
      assert.ok(performance.now() - started < 5000, 'stopped long before 30 s');
      assert.equal(report.stop_reason, 'aborted');
      assert.equal(report.totals.cancelled_at_end, 3, 'the 3 calls in flight were cancelled');
      assert.ok(report.totals.calls >= 3);
    } finally {
      await server.close();
    }
  });
});
