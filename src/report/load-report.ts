/**
 * The versioned report of one load run (`shield load --report run.json`, `runLoad()`), read by the
 * Markdown and HTML reports, by `shield verify` and by merging. Version 1 only grows: fields may be
 * added, none renamed or removed. Times are milliseconds since the run's start (`*_ms`) unless an
 * ISO string; latencies are integer microseconds (`*_us`) so sub-millisecond fast-fails keep their value.
 */
import type { CircuitState } from '../breaker/errors.js';

export const LOAD_REPORT_SCHEMA = 'shield-load-report/1' as const;

/**
 * How one call ended. The first five come from the error vocabulary (`structuredContent.error.type`);
 * `tool_error` is an `isError` result without that vocabulary (another MCP server, an unknown tool);
 * the last three are seen by the client itself.
 */
export type OutcomeClass =
  | 'success'
  | 'orchestrator_error'
  | 'circuit_breaker_error'
  | 'overloaded'
  | 'invalid_arguments'
  | 'tool_error'
  | 'client_timeout'
  | 'protocol_error'
  | 'transport_error';

export const OUTCOME_CLASSES: readonly OutcomeClass[] = [
  'success',
  'orchestrator_error',
  'circuit_breaker_error',
  'overloaded',
  'invalid_arguments',
  'tool_error',
  'client_timeout',
  'protocol_error',
  'transport_error',
];

/** Percentiles of one latency distribution, integer microseconds. */
export interface LatencyPercentiles {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p99_9: number;
  max: number;
}

/** A distribution with its raw HDR histogram, so reports can be merged exactly. */
export interface LatencyDistribution {
  latency_us: LatencyPercentiles;
  /** hdr-histogram-js `encodeIntoCompressedBase64`, values in integer microseconds. */
  histogram: string;
}

export interface OutcomeStats extends LatencyDistribution {
  count: number;
  /** For `orchestrator_error`: calls by reason (an OrchestratorReason: `timeout`, `connection_refused`, ...). */
  reasons?: Record<string, number>;
}

export type LoadModel = 'closed' | 'open';
export type SessionMode = 'per-worker' | 'shared';

/** The run as asked for (mirrors the CLI flags), plus what was negotiated with the server. */
export interface LoadRunConfig {
  /** The MCP endpoint, e.g. `http://127.0.0.1:8081/mcp`. */
  server: string;
  tool: string;
  args: Record<string, unknown>;
  model: LoadModel;
  concurrency: number;
  /** Open model only: intended calls per second. */
  rate: number | null;
  duration_ms: number | null;
  requests: number | null;
  ramp_ms: number;
  warmup_ms: number;
  timeout_ms: number;
  sessions: SessionMode;
  /** `/health` URL polled during the run, or null when polling is off. */
  health_url: string | null;
  health_interval_ms: number;
  orchestrator_down: boolean;
  chaos_url: string | null;
  /** `expect-success`, `expect-circuit-open` and each `--threshold` as written. */
  expectations: string[];
  /** MCP protocol revision spoken, e.g. `2025-11-25` or `2026-07-28`. */
  protocol_version: string;
  server_info: { name: string; version: string } | null;
}

export interface LoadTotals {
  /** Calls completed in the measured window (after warmup). */
  calls: number;
  succeeded: number;
  failed: number;
  /** failed / calls (0 when no calls). */
  error_rate: number;
  /** Completed calls per second of measured time. */
  throughput_rps: number;
  /** Calls completed during warmup (not in any statistic). */
  warmup_calls: number;
  /** Open model: calls sent later than intended because every slot was busy. */
  late: number;
  /** Open model: intended calls never sent before the run ended. */
  dropped: number;
  /** Calls still in flight when the run stopped, cancelled and not counted. */
  cancelled_at_end: number;
  /** Measured window, ms (the run's length minus warmup). */
  measured_ms: number;
}

/** One second of the run, by completion time. */
export interface SeriesPoint {
  /** Second index from the start of the run (warmup included; see `warmup` flag). */
  t_s: number;
  warmup: boolean;
  calls: number;
  throughput_rps: number;
  outcomes: Partial<Record<OutcomeClass, number>>;
  /** Percentiles of the calls that completed in this second (all outcomes); null when none. */
  latency_us: Pick<LatencyPercentiles, 'p50' | 'p90' | 'p95' | 'p99' | 'max'> | null;
  /** Calls in flight at the end of this second. */
  in_flight: number;
  late: number;
  dropped: number;
  /** Generator CPU over this second, percent of one core. */
  cpu_percent: number;
}

export interface CircuitSegment {
  start_ms: number;
  end_ms: number;
  /** `unknown` while `/health` did not answer or did not list the upstream. */
  state: CircuitState | 'unknown';
}

export interface UpstreamTimeline {
  segments: CircuitSegment[];
  first_open_ms: number | null;
  max_fail_counter: number;
  fail_max: number | null;
  reset_timeout_s: number | null;
}

export interface CircuitReport {
  health_url: string | null;
  polls: number;
  poll_errors: number;
  /** Keyed by upstream name (the plan's `orchestrator`). */
  upstreams: Record<string, UpstreamTimeline>;
  /** Earliest moment the circuit was seen open, by `/health` or by a `circuit_breaker_error` result. */
  first_open_ms: number | null;
  first_open_source: 'health' | 'call' | null;
  /** Calls sent after `first_open_ms`, and how many of them failed fast. */
  calls_after_open: number;
  fast_fails_after_open: number;
  /** Latency of the fast-fails (`circuit_breaker_error` and `overloaded`: never reached the upstream); null when none. */
  fast_fail: LatencyDistribution | null;
}

export interface GeneratorStats {
  cpu_user_ms: number;
  cpu_system_ms: number;
  /** Average CPU over the run, percent of one core. */
  cpu_percent: number;
  cpu_peak_percent: number;
  rss_peak_bytes: number;
  rss_end_bytes: number;
  heap_used_peak_bytes: number;
  /** Event-loop delay p99 in ms: a busy generator delays its own sends. */
  event_loop_delay_p99_ms: number;
  /** True when the generator saturated its CPU: numbers then describe the generator, not the server. */
  saturated: boolean;
}

export interface ExpectationResult {
  /** Where it came from: `expect-success`, `expect-circuit-open` or `threshold`. */
  source: 'expect-success' | 'expect-circuit-open' | 'threshold';
  /** What was checked, e.g. `p95<5s`, `failures==0`, `circuit_opened`. */
  expression: string;
  /** Measured value as a number (ms for times, a fraction for rates), or null when unmeasurable. */
  measured: number | null;
  /** Measured value for people, e.g. `p95 = 12ms`. */
  measured_text: string;
  passed: boolean;
}

export interface LoadReport {
  schema: typeof LOAD_REPORT_SCHEMA;
  generator_version: string;
  started_at: string;
  finished_at: string;
  /** Total run time, ms, warmup included. */
  elapsed_ms: number;
  /** `completed`, or why it stopped early. */
  stop_reason: 'completed' | 'aborted' | 'unreachable';
  /** Number of runs merged into this report (1 for a single run). */
  merged_runs: number;
  config: LoadRunConfig;
  totals: LoadTotals;
  /** All measured calls, every outcome. */
  latency: LatencyDistribution;
  /** Only outcomes that occurred. */
  outcomes: Partial<Record<OutcomeClass, OutcomeStats>>;
  series: SeriesPoint[];
  circuit: CircuitReport;
  generator: GeneratorStats;
  expectations: ExpectationResult[];
  /** True when every expectation passed (true when there were none). */
  passed: boolean;
  warnings: string[];
}
