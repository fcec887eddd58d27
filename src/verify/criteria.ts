/**
 * The plan's Success Criteria table, each row measured from the scenarios' figures and calls, and
 * the resource check: the server's memory, file descriptors, sockets and calls in flight before and
 * after the failure scenarios.
 */
import { formatDuration } from '../common/duration.js';
import type { CriterionResult, Figure, ScenarioId, ScenarioResult, Verdict, VerifySettings } from '../report/verify-report.js';
import { formatScale } from '../report/scale.js';
import type { Resources } from './server-metrics.js';

const MiB = 1024 * 1024;

/** Growth allowed between before and after: generous, because "no exhaustion" is not "no allocation". */
export const RESOURCE_LIMITS = { rssGrowthBytes: 128 * MiB, fdGrowth: 20, socketGrowth: 10 } as const;

export interface ResourceReadings {
  /** Before the first failure scenario. */
  before: Resources;
  /** After the last one, the orchestrator still as the scenarios left it. */
  during: Resources;
  /** After the orchestrator restarted. */
  after: Resources;
}

interface Row {
  criterion: string;
  target: string;
  method: string;
  /** The scenarios the row is measured in; the first that ran is used. */
  from: ScenarioId[];
  measure: (scenarios: Map<ScenarioId, ScenarioResult>) => { observed: string; passed: boolean; figures: Record<string, Figure> };
}

function figure(result: ScenarioResult | undefined, name: string): Figure | undefined {
  return result?.figures[name];
}

function rowVerdict(row: Row, scenarios: Map<ScenarioId, ScenarioResult>): Verdict | null {
  const ran = row.from.map((id) => scenarios.get(id)).filter((s): s is ScenarioResult => s !== undefined);
  if (ran.length === 0) return 'not_run';
  if (ran.every((s) => s.verdict === 'skipped')) return 'skipped';
  return null;
}

export function measureCriteria(
  results: readonly ScenarioResult[],
  settings: VerifySettings,
  scale: number,
  resources: ResourceReadings | null,
): CriterionResult[] {
  const scenarios = new Map(results.map((s) => [s.id, s]));
  const rows: Row[] = [
    {
      criterion: 'Circuit opens after failures',
      target: `${settings.fail_max} failures`,
      method: 'Count errors before fast-fail (scenario 2)',
      from: [2],
      measure: (s) => {
        const two = s.get(2)!;
        const counts = Object.entries(two.figures).filter(([name]) => name.endsWith('.failures_before_open'));
        return {
          observed: counts.map(([name, value]) => `${name.split('.')[0]}: ${value}`).join(', ') || 'not measured',
          passed: counts.length > 0 && counts.every(([, value]) => value === settings.fail_max),
          figures: Object.fromEntries(counts),
        };
      },
    },
    {
      criterion: 'Fast-fail response time',
      target: `< ${formatDuration(settings.fast_fail_target_ms)} (p95)`,
      method: 'Time every circuit_breaker_error response (scenarios 2–5)',
      from: [2, 3, 4, 5],
      measure: (s) => {
        const latencies = [...s.values()]
          .flatMap((scenario) => scenario.runs)
          .flatMap((run) => run.calls)
          .filter((call) => call.outcome === 'circuit_breaker_error')
          .map((call) => call.latency_us)
          .sort((a, b) => a - b);
        const rank = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] ?? null;
        const [median, p95, max] = [rank(0.5), rank(0.95), latencies.at(-1) ?? null];
        return {
          observed:
            max === null
              ? 'no circuit_breaker_error seen'
              : `${latencies.length} responses: median ${formatDuration(median! / 1000)}, p95 ${formatDuration(p95! / 1000)}, slowest ${formatDuration(max / 1000)}`,
          passed: p95 !== null && p95 / 1000 < settings.fast_fail_target_ms,
          figures: { count: latencies.length, median_us: median, p95_us: p95, max_us: max },
        };
      },
    },
    {
      criterion: 'Reset timeout',
      target: `60 seconds${scale === 1 ? '' : ` (${formatDuration(settings.reset_timeout_ms)} at ${formatScale(scale)})`}`,
      method: 'Measure time to half-open in /health (scenario 3)',
      from: [3],
      measure: (s) => {
        const three = s.get(3);
        const measured = figure(three, 'reset_timeout_measured_ms');
        const tolerance = figure(three, 'reset_timeout_tolerance_ms');
        const ok = typeof measured === 'number' && typeof tolerance === 'number' && Math.abs(measured - settings.reset_timeout_ms) <= tolerance;
        return {
          observed: typeof measured === 'number' ? `${formatDuration(measured)} (configured ${formatDuration(settings.reset_timeout_ms)}, tolerance ± ${formatDuration(Number(tolerance))})` : 'half-open not seen',
          passed: ok,
          figures: { measured_ms: measured ?? null, configured_ms: settings.reset_timeout_ms, tolerance_ms: tolerance ?? null },
        };
      },
    },
    {
      criterion: 'Recovery on success',
      target: '1 success',
      method: 'Verify the transition half-open → closed (scenario 3)',
      from: [3],
      measure: (s) => {
        const three = s.get(3);
        const halfOpen = typeof figure(three, 'reset_timeout_measured_ms') === 'number';
        const outcome = figure(three, 'recovery_outcome');
        const state = figure(three, 'state_after_recovery');
        const counter = figure(three, 'fail_counter_after_recovery');
        return {
          observed: `${halfOpen ? 'half-open' : 'never half-open'}; first call ${outcome ?? 'not made'}; then ${state ?? 'unknown'}, fail_counter ${counter ?? '?'}`,
          passed: halfOpen && outcome === 'success' && state === 'closed' && counter === 0,
          figures: { recovery_outcome: outcome ?? null, state_after: state ?? null, fail_counter_after: counter ?? null },
        };
      },
    },
    {
      criterion: 'Resource protection',
      target: 'No exhaustion',
      method: 'Server RSS, open fds, sockets and calls in flight before and after the failure scenarios (after the orchestrator restarts)',
      from: [2, 3, 4, 5],
      measure: () => measureResources(resources),
    },
    {
      criterion: 'Concurrent requests',
      target: `Handles ${settings.high_load_calls}+`,
      method: `${settings.high_load_calls} concurrent calls, orchestrator down (scenario 4)`,
      from: [4],
      measure: (s) => {
        const four = s.get(4)!;
        const waves = ['default', 'bulkhead', 'baseline'].filter((w) => four.figures[`${w}.unanswered`] !== undefined);
        const unanswered = waves.map((w) => Number(four.figures[`${w}.unanswered`]));
        return {
          observed: waves.map((w, i) => `${w}: ${settings.high_load_calls - unanswered[i]!} of ${settings.high_load_calls} answered`).join('; ') || 'not measured',
          passed: waves.length > 0 && unanswered.every((n) => n === 0),
          figures: Object.fromEntries(waves.map((w, i) => [`${w}_unanswered`, unanswered[i]!])),
        };
      },
    },
  ];
  return rows.map((row) => {
    const base = { criterion: row.criterion, target: row.target, method: row.method };
    const verdict = rowVerdict(row, scenarios);
    if (verdict !== null) {
      const observed = verdict === 'not_run' ? `not run (scenario ${row.from.join('/')} not selected)` : 'skipped: its scenario was skipped';
      return { ...base, observed, verdict, figures: {} };
    }
    const measured = row.measure(scenarios);
    return { ...base, observed: measured.observed, verdict: measured.passed ? 'pass' : 'fail', figures: measured.figures };
  });
}

function measureResources(readings: ResourceReadings | null): { observed: string; passed: boolean; figures: Record<string, Figure> } {
  if (readings === null) return { observed: 'not measured', passed: false, figures: {} };
  const { before, during, after } = readings;
  const rssGrowth = after.rss_bytes - before.rss_bytes;
  const fdGrowth = after.open_fds - before.open_fds;
  const socketGrowth = after.sockets - before.sockets;
  const passed =
    rssGrowth <= RESOURCE_LIMITS.rssGrowthBytes &&
    fdGrowth <= RESOURCE_LIMITS.fdGrowth &&
    socketGrowth <= RESOURCE_LIMITS.socketGrowth &&
    after.in_flight === 0 &&
    after.queued === 0;
  const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;
  const path = (key: 'rss_bytes' | 'open_fds' | 'sockets', show: (n: number) => string = String) =>
    `${show(before[key])} → ${show(during[key])} → ${show(after[key])}`;
  return {
    observed:
      `before → after the failures → after the orchestrator restarted: RSS ${path('rss_bytes', mib)}, fds ${path('open_fds')}, ` +
      `sockets ${path('sockets')}; in flight ${after.in_flight}, queued ${after.queued} ` +
      `(limits: +${mib(RESOURCE_LIMITS.rssGrowthBytes)}, +${RESOURCE_LIMITS.fdGrowth} fds, +${RESOURCE_LIMITS.socketGrowth} sockets, 0 in flight)`,
    passed,
    figures: {
      rss_before_bytes: before.rss_bytes,
      rss_after_bytes: after.rss_bytes,
      rss_during_bytes: during.rss_bytes,
      open_fds_before: before.open_fds,
      open_fds_during: during.open_fds,
      sockets_during: during.sockets,
      open_fds_after: after.open_fds,
      sockets_before: before.sockets,
      sockets_after: after.sockets,
      in_flight_after: after.in_flight,
      queued_after: after.queued,
    },
  };
}
