/**
 * Merges load reports of runs made at the same time against the same server (several generators,
 * or several processes of one): histograms are added exactly, so the merged percentiles are those a
 * single run making all the calls would report. Counts add up, the series align on wall-clock time,
 * and the expectations are evaluated again on the merged figures.
 */
import { decodeHistogram, distributionOf, createLatencyHistogram } from '../report/load-histogram.js';
import type { LatencyDistribution, LoadReport, OutcomeClass, OutcomeStats, SeriesPoint } from '../report/load-report.js';
import { evaluateExpectations, parseThreshold, type ExpectationSpec } from './expectations.js';

function mergeDistributions(distributions: Array<LatencyDistribution | null | undefined>): LatencyDistribution | null {
  const present = distributions.filter((distribution): distribution is LatencyDistribution => !!distribution);
  if (present.length === 0) return null;
  const histogram = createLatencyHistogram();
  for (const distribution of present) histogram.add(decodeHistogram(distribution.histogram));
  return distributionOf(histogram);
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function specOf(expressions: string[]): ExpectationSpec {
  return {
    expectSuccess: expressions.includes('expect-success'),
    expectCircuitOpen: expressions.includes('expect-circuit-open'),
    thresholds: expressions.filter((expression) => !expression.startsWith('expect-')).map(parseThreshold),
  };
}

function mergeSeries(reports: LoadReport[], offsetsS: number[]): SeriesPoint[] {
  const bySecond = new Map<number, SeriesPoint>();
  reports.forEach((report, index) => {
    for (const point of report.series) {
      const t = point.t_s + (offsetsS[index] as number);
      const merged = bySecond.get(t);
      if (!merged) {
        bySecond.set(t, { ...point, t_s: t, outcomes: { ...point.outcomes } });
        continue;
      }
      merged.calls += point.calls;
      merged.throughput_rps += point.throughput_rps;
      merged.in_flight += point.in_flight;
      merged.late += point.late;
      merged.dropped += point.dropped;
      merged.warmup &&= point.warmup;
      merged.cpu_percent = Math.max(merged.cpu_percent, point.cpu_percent);
      for (const [outcome, n] of Object.entries(point.outcomes) as Array<[OutcomeClass, number]>) {
        merged.outcomes[outcome] = (merged.outcomes[outcome] ?? 0) + n;
      }
      // Per-second histograms are not kept, so a merged second shows the worse of each figure.
      if (point.latency_us) {
        merged.latency_us = merged.latency_us
          ? {
              p50: Math.max(merged.latency_us.p50, point.latency_us.p50),
              p90: Math.max(merged.latency_us.p90, point.latency_us.p90),
              p95: Math.max(merged.latency_us.p95, point.latency_us.p95),
              p99: Math.max(merged.latency_us.p99, point.latency_us.p99),
              max: Math.max(merged.latency_us.max, point.latency_us.max),
            }
          : { ...point.latency_us };
      }
    }
  });
  return [...bySecond.values()].sort((a, b) => a.t_s - b.t_s);
}

export function mergeLoadReports(reports: LoadReport[]): LoadReport {
  const first = reports[0];
  if (!first) throw new Error('nothing to merge: no reports given');
  const starts = reports.map((report) => Date.parse(report.started_at));
  const earliest = Math.min(...starts);
  const offsetsMs = starts.map((start) => start - earliest);
  const finished = Math.max(...reports.map((report) => Date.parse(report.finished_at)));

  const outcomes: Partial<Record<OutcomeClass, OutcomeStats>> = {};
  const kinds = new Set(reports.flatMap((report) => Object.keys(report.outcomes) as OutcomeClass[]));
  for (const kind of kinds) {
    const parts = reports.map((report) => report.outcomes[kind]).filter((part): part is OutcomeStats => !!part);
    const stats: OutcomeStats = { count: sum(parts.map((part) => part.count)), ...(mergeDistributions(parts) as LatencyDistribution) };
    const reasons: Record<string, number> = {};
    for (const part of parts) for (const [reason, n] of Object.entries(part.reasons ?? {})) reasons[reason] = (reasons[reason] ?? 0) + n;
    if (Object.keys(reasons).length > 0) stats.reasons = reasons;
    outcomes[kind] = stats;
  }

  const calls = sum(reports.map((report) => report.totals.calls));
  const succeeded = sum(reports.map((report) => report.totals.succeeded));
  const firstOpens = reports
    .map((report, index) => (report.circuit.first_open_ms === null ? null : { at: report.circuit.first_open_ms + (offsetsMs[index] as number), source: report.circuit.first_open_source }))
    .filter((open): open is { at: number; source: 'health' | 'call' | null } => open !== null)
    .sort((a, b) => a.at - b.at);
  const timelineSource = reports.reduce((best, report) => (report.circuit.polls > best.circuit.polls ? report : best), first);
  const timelineOffset = offsetsMs[reports.indexOf(timelineSource)] as number;
  const upstreams = Object.fromEntries(
    Object.entries(timelineSource.circuit.upstreams).map(([name, timeline]) => [
      name,
      {
        ...timeline,
        first_open_ms: timeline.first_open_ms === null ? null : timeline.first_open_ms + timelineOffset,
        segments: timeline.segments.map((segment) => ({ ...segment, start_ms: segment.start_ms + timelineOffset, end_ms: segment.end_ms + timelineOffset })),
      },
    ]),
  );
  const allOf = <T>(values: Array<T | null>): T[] | null => (values.every((value) => value !== null) ? (values as T[]) : null);
  const rates = allOf(reports.map((report) => report.config.rate));
  const requests = allOf(reports.map((report) => report.config.requests));

  const merged: LoadReport = {
    ...first,
    started_at: new Date(earliest).toISOString(),
    finished_at: new Date(finished).toISOString(),
    elapsed_ms: finished - earliest,
    stop_reason: reports.some((report) => report.stop_reason === 'aborted') ? 'aborted' : first.stop_reason,
    merged_runs: sum(reports.map((report) => report.merged_runs)),
    config: {
      ...first.config,
      concurrency: sum(reports.map((report) => report.config.concurrency)),
      rate: rates ? sum(rates) : null,
      requests: requests ? sum(requests) : null,
    },
    totals: {
      calls,
      succeeded,
      failed: calls - succeeded,
      error_rate: calls === 0 ? 0 : (calls - succeeded) / calls,
      throughput_rps: Math.round(sum(reports.map((report) => report.totals.throughput_rps)) * 10) / 10,
      warmup_calls: sum(reports.map((report) => report.totals.warmup_calls)),
      late: sum(reports.map((report) => report.totals.late)),
      dropped: sum(reports.map((report) => report.totals.dropped)),
      cancelled_at_end: sum(reports.map((report) => report.totals.cancelled_at_end)),
      measured_ms: Math.max(...reports.map((report) => report.totals.measured_ms)),
    },
    latency: mergeDistributions(reports.map((report) => report.latency)) as LatencyDistribution,
    outcomes,
    series: mergeSeries(reports, offsetsMs.map((offset) => Math.round(offset / 1000))),
    circuit: {
      ...timelineSource.circuit,
      polls: sum(reports.map((report) => report.circuit.polls)),
      poll_errors: sum(reports.map((report) => report.circuit.poll_errors)),
      upstreams,
      first_open_ms: firstOpens[0]?.at ?? null,
      first_open_source: firstOpens[0]?.source ?? null,
      calls_after_open: sum(reports.map((report) => report.circuit.calls_after_open)),
      fast_fails_after_open: sum(reports.map((report) => report.circuit.fast_fails_after_open)),
      fast_fail: mergeDistributions(reports.map((report) => report.circuit.fast_fail)),
    },
    generator: {
      cpu_user_ms: sum(reports.map((report) => report.generator.cpu_user_ms)),
      cpu_system_ms: sum(reports.map((report) => report.generator.cpu_system_ms)),
      cpu_percent: Math.max(...reports.map((report) => report.generator.cpu_percent)),
      cpu_peak_percent: Math.max(...reports.map((report) => report.generator.cpu_peak_percent)),
      rss_peak_bytes: Math.max(...reports.map((report) => report.generator.rss_peak_bytes)),
      rss_end_bytes: Math.max(...reports.map((report) => report.generator.rss_end_bytes)),
      heap_used_peak_bytes: Math.max(...reports.map((report) => report.generator.heap_used_peak_bytes)),
      event_loop_delay_p99_ms: Math.max(...reports.map((report) => report.generator.event_loop_delay_p99_ms)),
      saturated: reports.some((report) => report.generator.saturated),
    },
    warnings: [...new Set(reports.flatMap((report) => report.warnings))],
    expectations: [],
    passed: true,
  };
  merged.expectations = evaluateExpectations(merged, specOf(first.config.expectations));
  merged.passed = merged.expectations.every((expectation) => expectation.passed);
  return merged;
}
