/**
 * What a load run is held to: `--expect-success` (the plan's scenario 1), `--expect-circuit-open`
 * (scenarios 2 and 4) and `--threshold` expressions such as `p95<5s`, `error_rate<0.01`,
 * `fast_fail_p99<1ms`, `circuit_opened_within<10s`. Each check reports its measured value.
 */
import { UsageError } from '../cli/exit-codes.js';
import { DURATION_HINT, formatDuration, parseDuration } from '../common/duration.js';
import { OUTCOME_CLASSES, type ExpectationResult, type LatencyPercentiles, type LoadReport, type OutcomeClass } from '../report/load-report.js';

type Operator = '<' | '<=' | '>' | '>=' | '==' | '!=';
type Kind = 'duration' | 'fraction' | 'count' | 'rate';

export interface Threshold {
  expression: string;
  metric: string;
  operator: Operator;
  /** ms for durations, a fraction for rates, a number otherwise. */
  value: number;
  kind: Kind;
}

interface Metric {
  kind: Kind;
  /** null when the run gave nothing to measure (e.g. no fast-fails, circuit never opened). */
  measure(report: LoadReport): number | null;
}

const PERCENTILE_KEYS: Record<string, keyof LatencyPercentiles> = {
  p50: 'p50',
  p90: 'p90',
  p95: 'p95',
  p99: 'p99',
  'p99.9': 'p99_9',
  max: 'max',
  min: 'min',
  mean: 'mean',
};

/** Outcomes that never reached the upstream: rejected by the open circuit or the full bulkhead. */
export const FAST_FAIL_OUTCOMES: readonly OutcomeClass[] = ['circuit_breaker_error', 'overloaded'];

/** A fast-fail slower than this does not protect anyone (the plan's success criterion). */
export const FAST_FAIL_LIMIT_MS = 100;

function latencyMs(percentiles: LatencyPercentiles | undefined, key: keyof LatencyPercentiles): number | null {
  return percentiles && percentiles.count > 0 ? percentiles[key] / 1000 : null;
}

function fastFailCount(report: LoadReport): number {
  return FAST_FAIL_OUTCOMES.reduce((sum, outcome) => sum + (report.outcomes[outcome]?.count ?? 0), 0);
}

function lookupMetric(name: string): Metric | undefined {
  const fixed: Record<string, Metric> = {
    error_rate: { kind: 'fraction', measure: (r) => r.totals.error_rate },
    success_rate: { kind: 'fraction', measure: (r) => (r.totals.calls === 0 ? 0 : r.totals.succeeded / r.totals.calls) },
    calls: { kind: 'count', measure: (r) => r.totals.calls },
    failures: { kind: 'count', measure: (r) => r.totals.failed },
    successes: { kind: 'count', measure: (r) => r.totals.succeeded },
    dropped: { kind: 'count', measure: (r) => r.totals.dropped },
    late: { kind: 'count', measure: (r) => r.totals.late },
    throughput: { kind: 'rate', measure: (r) => r.totals.throughput_rps },
    rps: { kind: 'rate', measure: (r) => r.totals.throughput_rps },
    fast_fails: { kind: 'count', measure: fastFailCount },
    fast_fails_after_open: { kind: 'count', measure: (r) => r.circuit.fast_fails_after_open },
    fast_fail_ratio_after_open: {
      kind: 'fraction',
      measure: (r) => (r.circuit.calls_after_open === 0 ? null : r.circuit.fast_fails_after_open / r.circuit.calls_after_open),
    },
    circuit_opened_within: { kind: 'duration', measure: (r) => r.circuit.first_open_ms },
  };
  if (fixed[name]) return fixed[name];
  for (const [suffix, key] of Object.entries(PERCENTILE_KEYS)) {
    if (name === suffix) return { kind: 'duration', measure: (r) => latencyMs(r.latency.latency_us, key) };
    if (!name.endsWith(`_${suffix}`)) continue;
    const prefix = name.slice(0, -suffix.length - 1);
    if (prefix === 'fast_fail') return { kind: 'duration', measure: (r) => latencyMs(r.circuit.fast_fail?.latency_us, key) };
    if ((OUTCOME_CLASSES as readonly string[]).includes(prefix)) {
      return { kind: 'duration', measure: (r) => latencyMs(r.outcomes[prefix as OutcomeClass]?.latency_us, key) };
    }
  }
  if ((OUTCOME_CLASSES as readonly string[]).includes(name)) {
    return { kind: 'count', measure: (r) => r.outcomes[name as OutcomeClass]?.count ?? 0 };
  }
  return undefined;
}

const METRIC_HINT =
  'p50|p90|p95|p99|p99.9|max|mean (also prefixed: success_p95, fast_fail_p99, <outcome>_p99), error_rate, success_rate, calls, failures, successes, dropped, late, throughput, fast_fails, fast_fails_after_open, fast_fail_ratio_after_open, circuit_opened_within, or an outcome name (count)';

/** Parses `--threshold` text; throws UsageError naming the flag and the grammar. */
export function parseThreshold(expression: string): Threshold {
  const match = /^\s*([a-z_][a-z0-9_.]*)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$/i.exec(expression);
  if (!match) {
    throw new UsageError(`--threshold '${expression}': expected <metric><op><value>, e.g. p95<5s, error_rate<0.01, circuit_opened_within<10s`);
  }
  const [, name, operator, raw] = match as unknown as [string, string, Operator, string];
  const metric = lookupMetric(name.toLowerCase());
  if (!metric) throw new UsageError(`--threshold '${expression}': unknown metric '${name}'; expected ${METRIC_HINT}`);
  let value: number | undefined;
  if (metric.kind === 'duration') {
    value = parseDuration(raw);
    if (value === undefined) throw new UsageError(`--threshold '${expression}': expected ${DURATION_HINT} after ${operator}`);
  } else if (metric.kind === 'fraction') {
    const percent = raw.endsWith('%');
    const n = Number(percent ? raw.slice(0, -1) : raw);
    value = percent ? n / 100 : n;
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw new UsageError(`--threshold '${expression}': expected a fraction from 0 to 1 (like 0.01 or 1%) after ${operator}`);
    }
  } else {
    value = Number(raw);
    if (!Number.isFinite(value)) throw new UsageError(`--threshold '${expression}': expected a number after ${operator}`);
  }
  return { expression: expression.trim(), metric: name.toLowerCase(), operator, value, kind: metric.kind };
}

function compare(measured: number, operator: Operator, value: number): boolean {
  switch (operator) {
    case '<':
      return measured < value;
    case '<=':
      return measured <= value;
    case '>':
      return measured > value;
    case '>=':
      return measured >= value;
    case '==':
      return measured === value;
    case '!=':
      return measured !== value;
  }
}

function formatValue(kind: Kind, value: number): string {
  switch (kind) {
    case 'duration':
      return formatDuration(value);
    case 'fraction':
      return `${(value * 100).toFixed(value < 0.1 ? 2 : 1)}%`;
    case 'rate':
      return `${value.toFixed(1)}/s`;
    case 'count':
      return String(value);
  }
}

function check(report: LoadReport, threshold: Threshold, source: ExpectationResult['source']): ExpectationResult {
  const measured = (lookupMetric(threshold.metric) as Metric).measure(report);
  const text =
    measured === null
      ? threshold.metric === 'circuit_opened_within'
        ? 'the circuit was never seen open'
        : `${threshold.metric}: nothing to measure`
      : `${threshold.metric} = ${formatValue(threshold.kind, measured)}`;
  return {
    source,
    expression: threshold.expression,
    measured,
    measured_text: text,
    passed: measured !== null && compare(measured, threshold.operator, threshold.value),
  };
}

export interface ExpectationSpec {
  expectSuccess: boolean;
  expectCircuitOpen: boolean;
  thresholds: Threshold[];
}

/** The expressions a spec stands for, as recorded in the report's config. */
export function describeExpectations(spec: ExpectationSpec): string[] {
  return [
    ...(spec.expectSuccess ? ['expect-success'] : []),
    ...(spec.expectCircuitOpen ? ['expect-circuit-open'] : []),
    ...spec.thresholds.map((threshold) => threshold.expression),
  ];
}

/** Evaluates every expectation against a finished report. */
export function evaluateExpectations(report: LoadReport, spec: ExpectationSpec): ExpectationResult[] {
  const results: ExpectationResult[] = [];
  if (spec.expectSuccess) {
    for (const expression of ['calls>0', 'failures==0', 'p95<5s']) results.push(check(report, parseThreshold(expression), 'expect-success'));
    const firstOpen = report.circuit.first_open_ms;
    results.push({
      source: 'expect-success',
      expression: 'circuit_never_open',
      measured: firstOpen,
      measured_text: firstOpen === null ? 'the circuit was never seen open' : `the circuit was seen open at ${formatDuration(firstOpen)}`,
      passed: firstOpen === null,
    });
  }
  if (spec.expectCircuitOpen) {
    const firstOpen = report.circuit.first_open_ms;
    results.push({
      source: 'expect-circuit-open',
      expression: 'circuit_opened',
      measured: firstOpen,
      measured_text:
        firstOpen === null
          ? 'the circuit was never seen open'
          : `the circuit was seen open at ${formatDuration(firstOpen)} (by ${report.circuit.first_open_source === 'call' ? 'a circuit_breaker_error result' : '/health'})`,
      passed: firstOpen !== null,
    });
    results.push(check(report, parseThreshold('fast_fails>0'), 'expect-circuit-open'));
    results.push(check(report, parseThreshold(`fast_fail_p99<${FAST_FAIL_LIMIT_MS}ms`), 'expect-circuit-open'));
  }
  for (const threshold of spec.thresholds) results.push(check(report, threshold, 'threshold'));
  return results;
}
