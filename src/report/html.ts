/**
 * The HTML reports: `report.html` of `shield verify` (every scenario with its checks and charts, and
 * the plan's success criteria) and the page of a single load run (`shield load --report run.html`).
 */
import { formatDuration } from '../common/duration.js';
import { callsChart, loadLatencyChart, loadOutcomesChart } from './chart.js';
import type { ChartMarker } from './chart.js';
import type { Page, PageSection, PageTable } from './html-page.js';
import { renderPage } from './html-page.js';
import type { LoadReport, OutcomeClass } from './load-report.js';
import { describeScale } from './scale.js';
import type { ScenarioId, VerifyReport } from './verify-report.js';
import { describeEmbedded } from './verify-report.js';

const formatUs = (us: number): string => formatDuration(us / 1000);

function criteriaSection(report: VerifyReport): PageSection {
  return {
    id: 'success-criteria',
    heading: 'Success criteria',
    verdict: report.verdict,
    notes: ['The load test plan’s Success Criteria table, each row measured in this run.'],
    tables: [
      {
        columns: ['Criterion', 'Target', 'Method', 'Observed'],
        rows: report.criteria.map((row) => ({
          cells: [row.criterion, row.target, row.method, row.observed],
          verdict: row.verdict,
        })),
      },
    ],
    charts: [],
  };
}

export function renderVerifyHtml(report: VerifyReport): string {
  const { settings } = report;
  const markersFor = (id: ScenarioId): ChartMarker[] =>
    id === 1
      ? [{ label: `p95 target ${formatDuration(settings.p95_target_ms)}`, value: settings.p95_target_ms }]
      : [
          { label: `fast-fail target ${formatDuration(settings.fast_fail_target_ms)}`, value: settings.fast_fail_target_ms },
          { label: `upstream timeout ${formatDuration(settings.timeout_ms)}`, value: settings.timeout_ms },
        ];
  const scenarios = report.scenarios.map(
    (scenario): PageSection => ({
      id: `scenario-${scenario.id}`,
      heading: `Scenario ${scenario.id}: ${scenario.title}`,
      verdict: scenario.verdict,
      notes: [
        scenario.objective,
        ...(scenario.skip_reason ? [`Skipped: ${scenario.skip_reason}`] : []),
        ...scenario.notes,
      ],
      tables: [
        {
          columns: ['Expected result', 'Expected', 'Observed'],
          rows: scenario.checks.map((check) => ({ cells: [check.name, check.expected, check.observed], verdict: check.verdict })),
        },
      ],
      charts: scenario.runs.map((run) =>
        callsChart(`${run.label}: latency of each call by outcome (${run.calls.length} calls, ${run.transitions} transitions)`, run.calls, run.circuit, {
          spanMs: run.elapsed_ms,
          markers: markersFor(scenario.id),
        }),
      ),
    }),
  );
  const page: Page = {
    title: 'Shield verify: circuit breaker load test plan',
    verdict: report.verdict,
    facts: [
      ['Date', report.started_at],
      ['Target', report.mode === 'embedded' ? `${describeEmbedded(report)} (${report.server_url})` : report.server_url],
      ['Fault injection', report.chaos_url ?? (report.mode === 'embedded' ? 'embedded simulator' : 'none')],
      ['Time scale', describeScale(report.time_scale, settings)],
      ['Orchestrator down as', report.down.join(', ')],
      ['Elapsed', formatDuration(report.elapsed_ms)],
      ['Shield', `${report.shield_version} on Node ${report.environment.node}, ${report.environment.cpus} CPUs`],
    ],
    sections: [criteriaSection(report), ...scenarios],
  };
  return renderPage(page);
}

function outcomesTable(report: LoadReport): PageTable {
  const entries = Object.entries(report.outcomes) as Array<[OutcomeClass, NonNullable<LoadReport['outcomes'][OutcomeClass]>]>;
  return {
    columns: ['Outcome', 'Calls', 'p50', 'p95', 'p99', 'max', 'Reasons'],
    rows: entries.map(([outcome, stats]) => ({
      cells: [
        outcome,
        String(stats.count),
        formatUs(stats.latency_us.p50),
        formatUs(stats.latency_us.p95),
        formatUs(stats.latency_us.p99),
        formatUs(stats.latency_us.max),
        Object.entries(stats.reasons ?? {})
          .map(([reason, count]) => `${reason}: ${count}`)
          .join(', '),
      ],
    })),
  };
}

/** The page of one load run. */
export function renderLoadHtml(report: LoadReport): string {
  const { config, totals, circuit } = report;
  const shape = config.model === 'open' ? `open model, ${config.rate} calls/s` : `closed model, concurrency ${config.concurrency}`;
  const length = config.requests !== null ? `${config.requests} requests` : `${formatDuration(config.duration_ms ?? 0)}`;
  const summary: PageSection = {
    id: 'summary',
    heading: 'Summary',
    ...(report.expectations.length > 0 ? { verdict: report.passed ? ('pass' as const) : ('fail' as const) } : {}),
    notes: report.warnings.map((warning) => `Warning: ${warning}`),
    tables: [
      {
        columns: ['Calls', 'Succeeded', 'Failed', 'Error rate', 'Throughput', 'p50', 'p95', 'p99', 'max'],
        rows: [
          {
            cells: [
              String(totals.calls),
              String(totals.succeeded),
              String(totals.failed),
              `${(totals.error_rate * 100).toFixed(1)}%`,
              `${totals.throughput_rps.toFixed(1)}/s`,
              formatUs(report.latency.latency_us.p50),
              formatUs(report.latency.latency_us.p95),
              formatUs(report.latency.latency_us.p99),
              formatUs(report.latency.latency_us.max),
            ],
          },
        ],
      },
      outcomesTable(report),
      ...(report.expectations.length > 0
        ? [
            {
              columns: ['Expectation', 'Measured'],
              rows: report.expectations.map((e) => ({
                cells: [e.expression, e.measured_text],
                verdict: e.passed ? ('pass' as const) : ('fail' as const),
              })),
            },
          ]
        : []),
    ],
    charts: [],
  };
  const firstOpen = circuit.first_open_ms === null ? 'never' : `${formatDuration(circuit.first_open_ms)} (${circuit.first_open_source})`;
  const timeline: PageSection = {
    id: 'timeline',
    heading: 'Over time',
    notes: [
      `Circuit first seen open: ${firstOpen}; ${circuit.fast_fails_after_open} of ${circuit.calls_after_open} calls after that failed fast` +
        (circuit.fast_fail ? ` (fast-fail p99 ${formatUs(circuit.fast_fail.latency_us.p99)})` : '') +
        `. /health polled ${circuit.polls} times (${circuit.poll_errors} errors).`,
    ],
    tables: [],
    charts: [loadLatencyChart(report), loadOutcomesChart(report)],
  };
  return renderPage({
    title: `Shield load: ${config.tool} on ${config.server}`,
    facts: [
      ['Started', report.started_at],
      ['Shape', `${shape}, ${length}, timeout ${formatDuration(config.timeout_ms)}`],
      ['Elapsed', `${formatDuration(report.elapsed_ms)} (${report.stop_reason})`],
      ['Protocol', config.protocol_version],
      ['Generator', `CPU ${report.generator.cpu_percent.toFixed(0)}% avg${report.generator.saturated ? ' (saturated: figures describe the generator)' : ''}`],
    ],
    sections: [summary, timeline],
  });
}
