/**
 * Everything a load run measures about its calls, in bounded memory: one HDR histogram per outcome
 * and one for all calls (integer microseconds), a per-second series built as seconds close, and
 * the calls sent after the circuit was first seen open.
 */
import type { CallOutcome } from '../client/outcome.js';
import {
  createLatencyHistogram,
  distributionOf,
  percentilesOf,
  recordMs,
  toMicroseconds,
  type LatencyHistogram,
} from '../report/load-histogram.js';
import type { LatencyDistribution, OutcomeClass, OutcomeStats, SeriesPoint } from '../report/load-report.js';
import { FAST_FAIL_OUTCOMES } from './expectations.js';
import type { CallRecord } from './options.js';

interface OutcomeAccumulator {
  count: number;
  histogram: LatencyHistogram;
  reasons: Map<string, number>;
}

/** Sampled when a second closes: calls in flight and the generator's CPU over that second. */
export interface SecondGauges {
  inFlight: number;
  cpuPercent: number;
}

export class LoadRecorder {
  readonly all = createLatencyHistogram();
  private readonly outcomes = new Map<OutcomeClass, OutcomeAccumulator>();
  private readonly fastFail = createLatencyHistogram();
  private readonly secondHistogram = createLatencyHistogram();
  private secondIndex = 0;
  private secondCalls = 0;
  private secondOutcomes: Partial<Record<OutcomeClass, number>> = {};
  private secondLate = 0;
  readonly series: SeriesPoint[] = [];

  calls = 0;
  succeeded = 0;
  warmupCalls = 0;
  late = 0;
  dropped = 0;
  cancelled = 0;
  /** Completion time (ms since start) of the last measured call. */
  lastCompletionMs = 0;
  firstOpenMs: number | null = null;
  firstOpenSource: 'health' | 'call' | null = null;
  callsAfterOpen = 0;
  fastFailsAfterOpen = 0;

  constructor(
    private readonly warmupMs: number,
    private readonly gauges: () => SecondGauges,
    private readonly onCall?: (call: CallRecord) => void,
  ) {}

  /** One finished call: sent at `startMs`, finished at `endMs`, latency measured from `fromMs` (its intended start in the open model). */
  record(outcome: CallOutcome, fromMs: number, startMs: number, endMs: number): void {
    this.advance(endMs);
    const latencyMs = endMs - fromMs;
    const kind = outcome.outcome;
    this.secondCalls++;
    this.secondOutcomes[kind] = (this.secondOutcomes[kind] ?? 0) + 1;
    recordMs(this.secondHistogram, latencyMs);
    if (kind === 'circuit_breaker_error') this.noteOpen(endMs, 'call');
    const warmup = fromMs < this.warmupMs;
    if (this.onCall) {
      const call: CallRecord = { t_ms: fromMs, latency_us: toMicroseconds(latencyMs), outcome: kind, warmup };
      if (outcome.error?.reason) call.reason = outcome.error.reason;
      this.onCall(call);
    }
    if (warmup) {
      this.warmupCalls++;
      return;
    }
    this.calls++;
    this.lastCompletionMs = endMs;
    if (kind === 'success') this.succeeded++;
    recordMs(this.all, latencyMs);
    let accumulator = this.outcomes.get(kind);
    if (!accumulator) {
      accumulator = { count: 0, histogram: createLatencyHistogram(), reasons: new Map() };
      this.outcomes.set(kind, accumulator);
    }
    accumulator.count++;
    recordMs(accumulator.histogram, latencyMs);
    const reason = outcome.error?.reason;
    if (kind === 'orchestrator_error' && reason) accumulator.reasons.set(reason, (accumulator.reasons.get(reason) ?? 0) + 1);
    const fastFail = FAST_FAIL_OUTCOMES.includes(kind);
    if (fastFail) recordMs(this.fastFail, latencyMs);
    if (this.firstOpenMs !== null && startMs >= this.firstOpenMs) {
      this.callsAfterOpen++;
      if (fastFail) this.fastFailsAfterOpen++;
    }
  }

  noteLate(atMs: number): void {
    this.advance(atMs);
    this.late++;
    this.secondLate++;
  }

  /** The circuit was seen open (by `/health` or a `circuit_breaker_error` result); the earliest sighting wins. */
  noteOpen(atMs: number, source: 'health' | 'call'): void {
    if (this.firstOpenMs === null || atMs < this.firstOpenMs) {
      this.firstOpenMs = Math.max(0, atMs);
      this.firstOpenSource = source;
    }
  }

  /** Closes every second that ended before `nowMs`, so stalls show as seconds with no completions. */
  advance(nowMs: number): void {
    const index = Math.floor(nowMs / 1000);
    while (this.secondIndex < index) this.closeSecond();
  }

  /** Closes the last, partial second. */
  finish(endMs: number): void {
    this.advance(endMs);
    if (this.secondCalls > 0 || this.series.length === 0) this.closeSecond(endMs);
  }

  outcomeStats(): Partial<Record<OutcomeClass, OutcomeStats>> {
    const stats: Partial<Record<OutcomeClass, OutcomeStats>> = {};
    for (const [kind, accumulator] of this.outcomes) {
      const entry: OutcomeStats = { count: accumulator.count, ...distributionOf(accumulator.histogram) };
      if (accumulator.reasons.size > 0) entry.reasons = Object.fromEntries(accumulator.reasons);
      stats[kind] = entry;
    }
    return stats;
  }

  fastFailDistribution(): LatencyDistribution | null {
    return this.fastFail.totalCount === 0 ? null : distributionOf(this.fastFail);
  }

  private closeSecond(partialEndMs?: number): void {
    const seconds = partialEndMs === undefined ? 1 : Math.max(0.001, (partialEndMs - this.secondIndex * 1000) / 1000);
    const gauges = this.gauges();
    const latency = percentilesOf(this.secondHistogram);
    this.series.push({
      t_s: this.secondIndex,
      warmup: (this.secondIndex + 1) * 1000 <= this.warmupMs,
      calls: this.secondCalls,
      throughput_rps: Math.round((this.secondCalls / seconds) * 10) / 10,
      outcomes: this.secondOutcomes,
      latency_us:
        latency.count === 0 ? null : { p50: latency.p50, p90: latency.p90, p95: latency.p95, p99: latency.p99, max: latency.max },
      in_flight: gauges.inFlight,
      late: this.secondLate,
      dropped: 0,
      cpu_percent: Math.round(gauges.cpuPercent),
    });
    this.secondHistogram.reset();
    this.secondCalls = 0;
    this.secondOutcomes = {};
    this.secondLate = 0;
    this.secondIndex++;
  }
}
