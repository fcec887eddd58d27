/**
 * Prometheus metrics. Each server has its own registry (several servers may share a process in
 * tests and in `shield verify`); the process metrics (RSS, open fds, event loop) are collected
 * once per process and appended to every server's output.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metric } from 'prom-client';
import type { Guard } from '../breaker/types.js';
import type { CircuitState } from '../breaker/errors.js';

export type CallOutcome = 'success' | 'orchestrator_error' | 'circuit_breaker_error' | 'overloaded' | 'invalid_arguments' | 'cancelled';

/** From 25 µs so that sub-millisecond fast-fails land in their own buckets. */
export const LATENCY_BUCKETS_S = [
  0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
  30, 60,
];

const STATES: readonly CircuitState[] = ['closed', 'open', 'half_open'];

let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
    // Gauges named `_total` fail `promtool check metrics`; the per-type gauges without the suffix stay.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      processRegistry.removeSingleMetric(name);
    }
  }
  return processRegistry;
}

export interface CallRecorder {
  /** Records one finished tool call; `seconds` is server-side time from the complete request. */
  record(seconds: number): void;
}

type CallLabels = { upstream: string; tool: string; outcome: CallOutcome };

/** What prom-client's registry reads from a metric (`get()`), for the families built by hand. */
interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: Array<{ metricName?: string; labels: Record<string, string | number>; value: number }>;
}

/** One label set's calls: per-bucket (not cumulative) counts, the sum and the count. */
class CallSeries implements CallRecorder {
  readonly buckets = new Float64Array(LATENCY_BUCKETS_S.length + 1);
  sum = 0;
  count = 0;

  constructor(readonly labels: CallLabels) {}

  record(seconds: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_S.length && seconds > LATENCY_BUCKETS_S[i]!) i++;
    this.buckets[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

/**
 * Tool calls by upstream, tool and outcome, as a latency histogram and a counter fed by one
 * `record()`. prom-client's own Histogram costs microseconds per observation (label hashing, a
 * bucket object per label set); this is a bucket scan and three additions, exposed through the
 * registry's metric interface so the output is prom-client's.
 */
class CallStats {
  private readonly series = new Map<string, CallSeries>();

  recorder(labels: CallLabels): CallRecorder {
    const key = `${labels.upstream}\u0000${labels.tool}\u0000${labels.outcome}`;
    let series = this.series.get(key);
    if (!series) {
      series = new CallSeries(labels);
      this.series.set(key, series);
    }
    return series;
  }

  histogram(name: string, help: string): Metric {
    const get = async (): Promise<MetricSnapshot> => {
      const values: MetricSnapshot['values'] = [];
      for (const series of this.series.values()) {
        let cumulative = 0;
        for (let i = 0; i <= LATENCY_BUCKETS_S.length; i++) {
          cumulative += series.buckets[i]!;
          const le = i < LATENCY_BUCKETS_S.length ? LATENCY_BUCKETS_S[i]! : '+Inf';
          values.push({ metricName: `${name}_bucket`, labels: { le, ...series.labels }, value: cumulative });
        }
        values.push({ metricName: `${name}_sum`, labels: { ...series.labels }, value: series.sum });
        values.push({ metricName: `${name}_count`, labels: { ...series.labels }, value: series.count });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    };
    return { name, help, get } as unknown as Metric;
  }

  counter(name: string, help: string): Metric {
    const get = async (): Promise<MetricSnapshot> => ({
      name,
      help,
      type: 'counter',
      aggregator: 'sum',
      values: [...this.series.values()].map((series) => ({ labels: { ...series.labels }, value: series.count })),
    });
    return { name, help, get } as unknown as Metric;
  }
}

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly calls = new CallStats();
  private readonly transitions: Counter<'upstream' | 'from' | 'to'>;
  private readonly rejections: Counter<'upstream' | 'reason'>;
  /** By upstream, tool and outcome: nested rather than one joined key, which would build a string per call. */
  private readonly recorders = new Map<string, Map<string, Map<CallOutcome, CallRecorder>>>();

  constructor(guards: ReadonlyMap<string, Guard>, sessionCount: () => number) {
    const registers = [this.registry];
    this.registry.registerMetric(this.calls.counter('shield_tool_calls_total', 'Tool calls by upstream, tool and outcome.'));
    this.registry.registerMetric(
      this.calls.histogram(
        'shield_tool_call_duration_seconds',
        'Server-side time per tool call, from the complete request to the reply, by outcome.',
      ),
    );
    this.transitions = new Counter({
      name: 'shield_circuit_breaker_transitions_total',
      help: 'Circuit state transitions by upstream.',
      labelNames: ['upstream', 'from', 'to'],
      registers,
    });
    this.rejections = new Counter({
      name: 'shield_bulkhead_rejections_total',
      help: 'Calls rejected at once because the bulkhead (max_concurrent + max_queue) was full.',
      labelNames: ['upstream', 'reason'],
      registers,
    });
    new Gauge({
      name: 'shield_circuit_breaker_state',
      help: 'Circuit state per upstream: 1 for the current state, 0 for the others.',
      labelNames: ['upstream', 'state'],
      registers,
      collect() {
        for (const [name, guard] of guards) {
          const state = guard.snapshot().state;
          for (const candidate of STATES) this.set({ upstream: name, state: candidate }, candidate === state ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'shield_circuit_breaker_consecutive_failures',
      help: 'Consecutive failures counted by the circuit breaker (/health fail_counter).',
      labelNames: ['upstream'],
      registers,
      collect() {
        for (const [name, guard] of guards) this.set({ upstream: name }, guard.snapshot().fail_counter);
      },
    });
    new Gauge({
      name: 'shield_upstream_in_flight',
      help: 'Upstream calls in flight.',
      labelNames: ['upstream'],
      registers,
      collect() {
        for (const [name, guard] of guards) this.set({ upstream: name }, guard.snapshot().in_flight);
      },
    });
    new Gauge({
      name: 'shield_upstream_queued',
      help: 'Calls waiting for a bulkhead slot.',
      labelNames: ['upstream'],
      registers,
      collect() {
        for (const [name, guard] of guards) this.set({ upstream: name }, guard.snapshot().queued);
      },
    });
    new Gauge({
      name: 'shield_mcp_sessions_open',
      help: 'Open 2025-era MCP sessions.',
      registers,
      collect() {
        this.set(sessionCount());
      },
    });
    for (const name of guards.keys()) this.rejections.labels(name, 'overloaded').inc(0);
  }

  /** A recorder bound to its labels, so the hot path does no label lookups. */
  recorder(upstream: string, tool: string, outcome: CallOutcome): CallRecorder {
    let byTool = this.recorders.get(upstream);
    if (!byTool) this.recorders.set(upstream, (byTool = new Map()));
    let byOutcome = byTool.get(tool);
    if (!byOutcome) byTool.set(tool, (byOutcome = new Map()));
    let recorder = byOutcome.get(outcome);
    if (!recorder) {
      const series = this.calls.recorder({ upstream, tool, outcome });
      if (outcome === 'overloaded') {
        const rejection = this.rejections.labels(upstream, 'overloaded');
        recorder = {
          record(seconds) {
            series.record(seconds);
            rejection.inc();
          },
        };
      } else {
        recorder = series;
      }
      byOutcome.set(outcome, recorder);
    }
    return recorder;
  }

  transition(upstream: string, from: CircuitState, to: CircuitState): void {
    this.transitions.labels(upstream, from, to).inc();
  }

  async text(): Promise<string> {
    const [own, processText] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${own}\n${processText}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
