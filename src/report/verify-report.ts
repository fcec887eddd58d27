/**
 * The versioned report of `shield verify` (report.json), from which the console tables, report.md
 * and report.html are rendered. Version 1 only grows: fields may be added, none renamed or removed.
 * Durations are milliseconds (`*_ms`) unless the name says otherwise; latencies of single calls are
 * integer microseconds (`*_us`); every figure was measured in the run that wrote the report.
 */
import type { CallPoint } from './chart.js';
import type { CircuitSegment } from './load-report.js';

export const VERIFY_REPORT_SCHEMA = 'shield-verify-report/1' as const;

/**
 * `skipped`: could not be checked (e.g. the fault cannot be injected against a deployment), which
 * fails the run as surely as `fail`; `not_run`: not selected; `info`: reported, not asserted.
 */
export type Verdict = 'pass' | 'fail' | 'skipped' | 'not_run' | 'info';

/** How the orchestrator is taken down: refused connections (a stopped service) or a hung one. */
export type DownKind = 'refused' | 'hang';

export type ScenarioId = 1 | 2 | 3 | 4 | 5;

export type Figure = number | string | boolean | null;

/** One expected result of the plan next to what was observed. */
export interface Check {
  /** The expectation in the plan's words, e.g. "6th call fails fast with circuit_breaker_error". */
  name: string;
  expected: string;
  observed: string;
  verdict: Exclude<Verdict, 'not_run'>;
}

/** One run of calls within a scenario, kept for the charts. */
export interface ScenarioRun {
  label: string;
  started_at: string;
  elapsed_ms: number;
  calls: CallPoint[];
  /** The circuit's state over the run, from `/health` polling and call results. */
  circuit: CircuitSegment[];
  /** State changes the server counted during the run (`/metrics`). */
  transitions: number;
  /**
   * How late this process's event loop ran at worst during the run, ms. A busy machine shows here
   * first, and in every latency measured from this process.
   */
  event_loop_delay_max_ms: number;
}

export interface ScenarioResult {
  id: ScenarioId;
  title: string;
  objective: string;
  verdict: 'pass' | 'fail' | 'skipped';
  /** Why the scenario was skipped, or null. */
  skip_reason: string | null;
  elapsed_ms: number;
  checks: Check[];
  /** Every measured figure by name (units in the name: `_ms`, `_us`, `_bytes`, counts otherwise). */
  figures: Record<string, Figure>;
  runs: ScenarioRun[];
  /** What a reader should know to interpret the result. */
  notes: string[];
}

/** One row of the plan's Success Criteria table, measured. */
export interface CriterionResult {
  criterion: string;
  target: string;
  method: string;
  observed: string;
  verdict: Verdict;
  figures: Record<string, Figure>;
}

/** The plan's durations and settings after scaling, as used in this run. */
export interface VerifySettings {
  fail_max: number;
  /** The upstream timeout (the plan's 30 s). */
  timeout_ms: number;
  /** The breaker's reset timeout (the plan's 60 s). */
  reset_timeout_ms: number;
  /** Scenario 1: concurrency over a duration (the plan's 10 over 60 s). */
  normal_concurrency: number;
  normal_duration_ms: number;
  /** Scenario 4: concurrent calls with the orchestrator down (the plan's 50). */
  high_load_calls: number;
  /** Scenario 5: calls over a window at a failure rate (the plan's 100 over 2 min at 50%). */
  flapping_calls: number;
  flapping_window_ms: number;
  flapping_failure_rate: number;
  /** The fast-fail target (the plan's 100 ms); not scaled, it is a latency. */
  fast_fail_target_ms: number;
  /**
   * Scenario 1's p95 target: the plan's 5 s scaled (it includes the orchestrator's time), plus, when
   * scaled down, the plan's 100 ms for Shield's own time, which does not scale.
   */
  p95_target_ms: number;
}

/** `embedded simulator and server`, or `…and 3 Shield replicas sharing one circuit in Redis at redis://…`. */
export function describeEmbedded(report: VerifyReport): string {
  return report.replicas ? `embedded simulator and ${report.replicas.count} Shield replicas sharing one circuit in Redis at ${report.replicas.state_url}` : 'embedded simulator and server';
}

export interface VerifyReport {
  schema: typeof VERIFY_REPORT_SCHEMA;
  shield_version: string;
  started_at: string;
  finished_at: string;
  elapsed_ms: number;
  /** `pass` only when every selected scenario and measured criterion passed (nothing skipped). */
  verdict: 'pass' | 'fail';
  /** Factor applied to every duration of the plan (0.01 = 1/100; 1 = the plan's real timings). */
  time_scale: number;
  /** `embedded`: simulator and server started in this process; `target`: a deployment. */
  mode: 'embedded' | 'target';
  /** `shield verify --replicas N`: scenarios 2–4 ran across N servers sharing one circuit in Redis; null otherwise. */
  replicas?: { count: number; state_url: string } | null;
  /** The MCP endpoint driven (with replicas: each one's, comma-separated). */
  server_url: string;
  health_url: string;
  /** The chaos proxy or simulator control used to take the orchestrator down, or null. */
  chaos_url: string | null;
  down: DownKind[];
  scenarios_selected: ScenarioId[];
  settings: VerifySettings;
  scenarios: ScenarioResult[];
  criteria: CriterionResult[];
  environment: { node: string; platform: string; arch: string; cpus: number };
}
