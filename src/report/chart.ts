/**
 * The charts of the HTML reports, as plain data: built here (in Node, where they can be tested) and
 * drawn in the browser by a small generic uPlot script. Every chart has a time axis in seconds from
 * the run's start, a set of series, and the circuit-state timeline drawn as coloured bands behind them.
 */
import type { CircuitState } from '../breaker/errors.js';
import type { CircuitSegment, LoadReport, OutcomeClass } from './load-report.js';

export type SeriesStyle = 'points' | 'line' | 'step';

export interface ChartSeries {
  label: string;
  color: string;
  style: SeriesStyle;
  /** One value per x; null where the series has no value. */
  values: Array<number | null>;
}

export interface ChartBand {
  start_s: number;
  end_s: number;
  state: CircuitState | 'unknown';
}

export interface ChartMarker {
  label: string;
  value: number;
}

export interface TimelineChart {
  title: string;
  /** Seconds from the run's start, ascending. */
  x: number[];
  x_label: string;
  series: ChartSeries[];
  bands: ChartBand[];
  y: { label: string; unit: 'ms' | 'calls/s'; log: boolean };
  /** Horizontal reference lines, e.g. the fast-fail target. */
  markers: ChartMarker[];
  /** The run's length in seconds, so the bands and the axis cover all of it. */
  span_s: number;
}

/** One call of a scenario: when it was sent, how long it took and how it ended. */
export interface CallPoint {
  /** Milliseconds from the run's start to the moment the call was sent. */
  t_ms: number;
  latency_us: number;
  outcome: OutcomeClass;
}

export const OUTCOME_COLORS: Record<OutcomeClass, string> = {
  success: '#1a7f37',
  orchestrator_error: '#cf222e',
  circuit_breaker_error: '#0969da',
  overloaded: '#9a6700',
  invalid_arguments: '#6e7781',
  tool_error: '#953800',
  client_timeout: '#a40e26',
  protocol_error: '#8250df',
  transport_error: '#57606a',
};

export const STATE_COLORS: Record<CircuitState | 'unknown', string> = {
  closed: 'rgba(26, 127, 55, 0.10)',
  open: 'rgba(207, 34, 46, 0.14)',
  half_open: 'rgba(212, 167, 44, 0.28)',
  unknown: 'rgba(110, 119, 129, 0.10)',
};

/** Latencies below this are drawn at it: the log axis cannot show 0. */
const MIN_LATENCY_MS = 0.001;

function bandsFrom(segments: readonly CircuitSegment[]): ChartBand[] {
  return segments.map((segment) => ({
    start_s: segment.start_ms / 1000,
    end_s: segment.end_ms / 1000,
    state: segment.state,
  }));
}

/**
 * A scatter of individual calls, one series per outcome, over the circuit-state bands. Each call is
 * placed at the moment it ended, so a failure sits where the circuit reacted to it.
 */
export function callsChart(
  title: string,
  calls: readonly CallPoint[],
  segments: readonly CircuitSegment[],
  options: { spanMs: number; markers?: ChartMarker[] },
): TimelineChart {
  const ended = (call: CallPoint) => call.t_ms + call.latency_us / 1000;
  const sorted = [...calls].sort((a, b) => ended(a) - ended(b));
  const outcomes = [...new Set(sorted.map((call) => call.outcome))];
  const series = outcomes.map((outcome): ChartSeries => {
    const count = sorted.filter((call) => call.outcome === outcome).length;
    return {
      label: `${outcome} (${count})`,
      color: OUTCOME_COLORS[outcome],
      style: 'points',
      values: sorted.map((call) => (call.outcome === outcome ? Math.max(MIN_LATENCY_MS, call.latency_us / 1000) : null)),
    };
  });
  // A little room after the last call, with the last state seen carried on, so the state a run ends
  // in (the circuit its failures opened) shows as a band and not as a hairline.
  const span_s = (Math.max(options.spanMs, ...sorted.map(ended), ...segments.map((s) => s.end_ms)) / 1000) * 1.06;
  const bands = bandsFrom(segments);
  const last = bands.at(-1);
  if (last) last.end_s = span_s;
  return {
    title,
    x: sorted.map((call) => ended(call) / 1000),
    x_label: 'seconds since start (when each call ended)',
    series,
    bands,
    y: { label: 'latency (log)', unit: 'ms', log: true },
    markers: options.markers ?? [],
    span_s,
  };
}

function upstreamSegments(report: LoadReport): CircuitSegment[] {
  const upstreams = Object.values(report.circuit.upstreams);
  return upstreams[0]?.segments ?? [];
}

/** Per-second latency percentiles of a load run. */
export function loadLatencyChart(report: LoadReport): TimelineChart {
  const points = report.series;
  const percentile = (key: 'p50' | 'p95' | 'p99' | 'max', label: string, color: string): ChartSeries => ({
    label,
    color,
    style: 'line',
    values: points.map((point) => (point.latency_us ? Math.max(MIN_LATENCY_MS, point.latency_us[key] / 1000) : null)),
  });
  return {
    title: 'Latency per second (all outcomes)',
    x: points.map((point) => point.t_s),
    x_label: 'seconds since start',
    series: [
      percentile('p50', 'p50', '#0969da'),
      percentile('p95', 'p95', '#9a6700'),
      percentile('p99', 'p99', '#cf222e'),
      percentile('max', 'max', '#6e7781'),
    ],
    bands: bandsFrom(upstreamSegments(report)),
    y: { label: 'latency (log)', unit: 'ms', log: true },
    markers: [],
    span_s: report.elapsed_ms / 1000,
  };
}

/** Per-second completions of a load run, one line per outcome that occurred. */
export function loadOutcomesChart(report: LoadReport): TimelineChart {
  const points = report.series;
  const outcomes = (Object.keys(OUTCOME_COLORS) as OutcomeClass[]).filter((outcome) =>
    points.some((point) => (point.outcomes[outcome] ?? 0) > 0),
  );
  return {
    title: 'Calls per second by outcome',
    x: points.map((point) => point.t_s),
    x_label: 'seconds since start',
    series: outcomes.map((outcome) => ({
      label: outcome,
      color: OUTCOME_COLORS[outcome],
      style: 'step',
      values: points.map((point) => point.outcomes[outcome] ?? 0),
    })),
    bands: bandsFrom(upstreamSegments(report)),
    y: { label: 'calls/s', unit: 'calls/s', log: false },
    markers: [],
    span_s: report.elapsed_ms / 1000,
  };
}
