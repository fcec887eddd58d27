/** The summary `shield load` prints when a run ends: totals, latency by outcome, circuit, expectations. */
import { formatDuration } from '../common/duration.js';
import type { LatencyPercentiles, LoadReport, OutcomeClass, OutcomeStats } from '../report/load-report.js';

function us(value: number): string {
  return formatDuration(value / 1000);
}

function latencyRow(label: string, count: number, latency: LatencyPercentiles): string {
  const figures = [latency.p50, latency.p90, latency.p95, latency.p99, latency.p99_9, latency.max].map((v) => us(v).padStart(8));
  return `  ${label.padEnd(40)}${String(count).padStart(8)}${figures.join('')}`;
}

export function formatLoadSummary(report: LoadReport): string {
  const { config, totals, circuit, generator } = report;
  const model = config.model === 'open' ? `open model at ${config.rate}/s, ≤${config.concurrency} in flight` : `closed model, ${config.concurrency} worker${config.concurrency === 1 ? '' : 's'}`;
  const length = config.requests !== null ? `${config.requests} requests` : formatDuration(config.duration_ms ?? 0);
  const lines = [
    `${config.tool} on ${config.server} (MCP ${config.protocol_version}${config.server_info ? `, ${config.server_info.name} ${config.server_info.version}` : ''})`,
    `${model}, ${length}: ${totals.calls} calls in ${formatDuration(totals.measured_ms)}, ${totals.throughput_rps}/s, ${totals.failed} failed (${(totals.error_rate * 100).toFixed(2)}%)` +
      (totals.late || totals.dropped ? `, ${totals.late} late, ${totals.dropped} dropped` : '') +
      (report.stop_reason === 'aborted' ? ' — stopped early' : ''),
    '',
    `  ${'outcome'.padEnd(40)}${'calls'.padStart(8)}${['p50', 'p90', 'p95', 'p99', 'p99.9', 'max'].map((h) => h.padStart(8)).join('')}`,
    latencyRow('all', report.latency.latency_us.count, report.latency.latency_us),
  ];
  for (const [outcome, stats] of Object.entries(report.outcomes) as Array<[OutcomeClass, OutcomeStats]>) {
    const reasons = stats.reasons ? ` (${Object.entries(stats.reasons).map(([reason, n]) => `${reason} ${n}`).join(', ')})` : '';
    lines.push(latencyRow(`${outcome}${reasons}`, stats.count, stats.latency_us));
  }
  lines.push('');
  if (circuit.health_url === null) {
    lines.push('circuit: /health not polled');
  } else {
    for (const [name, timeline] of Object.entries(circuit.upstreams)) {
      const states = timeline.segments.map((segment) => `${segment.state} ${formatDuration(segment.start_ms)}–${formatDuration(segment.end_ms)}`).join(', ');
      lines.push(`circuit ${name}: ${states || 'no answer'} (fail_counter up to ${timeline.max_fail_counter}${timeline.fail_max === null ? '' : `/${timeline.fail_max}`})`);
    }
    if (Object.keys(circuit.upstreams).length === 0) lines.push(`circuit: ${circuit.health_url} listed no circuit breakers`);
  }
  if (circuit.first_open_ms !== null) {
    lines.push(
      `circuit first seen open at ${formatDuration(circuit.first_open_ms)}; ${circuit.fast_fails_after_open} of ${circuit.calls_after_open} calls sent after that failed fast` +
        (circuit.fast_fail ? `; fast-fail p99 ${us(circuit.fast_fail.latency_us.p99)}` : ''),
    );
  }
  lines.push(
    `generator: cpu ${generator.cpu_percent}% (peak ${generator.cpu_peak_percent}%), rss ${(generator.rss_peak_bytes / 2 ** 20).toFixed(0)} MiB, event-loop delay p99 ${generator.event_loop_delay_p99_ms} ms`,
  );
  if (report.expectations.length > 0) {
    lines.push('', report.passed ? 'expectations: all met' : 'expectations: FAILED');
    for (const expectation of report.expectations) {
      lines.push(`  ${expectation.passed ? '✓' : '✗'} ${expectation.expression.padEnd(26)} ${expectation.measured_text}  [${expectation.source}]`);
    }
  }
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}
