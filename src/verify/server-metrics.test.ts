import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMetrics, resourcesOf, serverLatency, transitionsOf } from './server-metrics.js';

const histogram = (counts: Record<string, number>, sum: number, outcome = 'circuit_breaker_error') =>
  [
    ...Object.entries(counts).map(([le, n]) => `shield_tool_call_duration_seconds_bucket{upstream="orchestrator",tool="lightrag_query",outcome="${outcome}",le="${le}"} ${n}`),
    `shield_tool_call_duration_seconds_sum{upstream="orchestrator",tool="lightrag_query",outcome="${outcome}"} ${sum}`,
    `shield_tool_call_duration_seconds_count{upstream="orchestrator",tool="lightrag_query",outcome="${outcome}"} ${counts['+Inf']}`,
  ].join('\n');

test('parses samples with labels, skipping comments and blank lines', () => {
  const samples = parseMetrics('# HELP x y\n# TYPE x counter\n\nprocess_open_fds 42\nshield_circuit_breaker_transitions_total{upstream="orchestrator",from="closed",to="open"} 3\nweird{label="a \\"quoted\\" value"} 1\n');
  assert.deepEqual(samples[0], { name: 'process_open_fds', labels: {}, value: 42 });
  assert.deepEqual(samples[1]!.labels, { upstream: 'orchestrator', from: 'closed', to: 'open' });
  assert.equal(samples[2]!.labels.label, 'a "quoted" value');
  assert.equal(transitionsOf(samples, 'orchestrator'), 3);
  assert.equal(transitionsOf(samples, 'other'), 0);
});

test('server-side latency between two readings: only the calls made in between count', () => {
  const before = parseMetrics(histogram({ '0.00025': 2, '0.001': 3, '0.0025': 3, '+Inf': 3 }, 0.0012));
  const after = parseMetrics(histogram({ '0.00025': 5, '0.001': 7, '0.0025': 8, '+Inf': 8 }, 0.0042));
  const latency = serverLatency(before, after, ['circuit_breaker_error'], 0.001);
  assert.equal(latency.calls, 5);
  assert.equal(latency.within, 4, '3 new within 250µs, 1 more within 1ms');
  assert.equal(latency.medianBoundS, 0.00025);
  assert.equal(latency.maxBoundS, 0.0025);
  assert.ok(Math.abs(latency.totalS - 0.003) < 1e-9);
  assert.equal(serverLatency(after, after, ['circuit_breaker_error'], 0.001).medianBoundS, null, 'no calls, no median');
});

test('several outcomes add up, and the process figures are read', () => {
  const text = [
    histogram({ '0.001': 2, '+Inf': 2 }, 0.001),
    histogram({ '0.001': 0, '+Inf': 1 }, 0.3, 'orchestrator_error'),
    'process_resident_memory_bytes 1000',
    'process_open_fds 12',
    'nodejs_active_handles{type="Socket"} 4',
    'nodejs_active_handles{type="Timer"} 9',
    'shield_upstream_in_flight{upstream="orchestrator"} 1',
    'shield_upstream_queued{upstream="orchestrator"} 0',
  ].join('\n');
  const samples = parseMetrics(text);
  const both = serverLatency([], samples, ['circuit_breaker_error', 'orchestrator_error'], 0.001);
  assert.equal(both.calls, 3);
  assert.equal(both.within, 2);
  assert.equal(both.maxBoundS, null, 'the slowest is past the last finite bucket');
  assert.deepEqual(resourcesOf(samples), { rss_bytes: 1000, open_fds: 12, sockets: 4, in_flight: 1, queued: 0 });
});
