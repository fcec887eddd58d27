/** The Markdown report of one load run (`shield load --report run.md`): for pull requests and wikis. */
import { formatDuration } from '../common/duration.js';
import type { LatencyPercentiles, LoadReport, OutcomeClass } from './load-report.js';

function us(value: number): string {
  return formatDuration(value / 1000);
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(columns: string[], rows: string[][]): string[] {
  return [`| ${columns.join(' | ')} |`, `| ${columns.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)];
}

function latencyCells(latency: LatencyPercentiles): string[] {
  return [latency.p50, latency.p90, latency.p95, latency.p99, latency.p99_9, latency.max].map(us);
}

export function renderLoadMarkdown(report: LoadReport): string {
  const { config, totals, circuit, generator } = report;
  const shape = config.model === 'open' ? `open model at ${config.rate} calls/s (at most ${config.concurrency} in flight)` : `closed model, ${config.concurrency} worker${config.concurrency === 1 ? '' : 's'}`;
  const length = config.requests !== null ? `${config.requests} requests` : formatDuration(config.duration_ms ?? 0);
  const lines: string[] = [
    `# Load run: ${config.tool} on ${config.server}`,
    '',
    `${report.started_at} · ${shape} · ${length}${config.warmup_ms > 0 ? ` after ${formatDuration(config.warmup_ms)} warmup` : ''} · MCP ${config.protocol_version}${config.server_info ? ` · ${config.server_info.name} ${config.server_info.version}` : ''}${report.merged_runs > 1 ? ` · ${report.merged_runs} runs merged` : ''}`,
    '',
  ];
  if (report.expectations.length > 0) {
    lines.push(`## Verdict: ${report.passed ? 'PASS' : 'FAIL'}`, '');
    lines.push(...table(['', 'Expectation', 'Measured', 'From'], report.expectations.map((e) => [e.passed ? '✅' : '❌', `\`${e.expression}\``, e.measured_text, e.source])), '');
  }
  lines.push('## Totals', '');
  lines.push(
    ...table(
      ['Calls', 'Succeeded', 'Failed', 'Error rate', 'Throughput', 'Late', 'Dropped', 'Warmup calls', 'Cancelled at end'],
      [[String(totals.calls), String(totals.succeeded), String(totals.failed), `${(totals.error_rate * 100).toFixed(2)}%`, `${totals.throughput_rps}/s`, String(totals.late), String(totals.dropped), String(totals.warmup_calls), String(totals.cancelled_at_end)]],
    ),
    '',
  );
  lines.push('## Latency by outcome', '');
  const outcomeRows = (Object.entries(report.outcomes) as Array<[OutcomeClass, NonNullable<LoadReport['outcomes'][OutcomeClass]>]>).map(([outcome, stats]) => [
    outcome + (stats.reasons ? ` (${Object.entries(stats.reasons).map(([reason, n]) => `${reason}: ${n}`).join(', ')})` : ''),
    String(stats.count),
    ...latencyCells(stats.latency_us),
  ]);
  lines.push(...table(['Outcome', 'Calls', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max'], [['all', String(report.latency.latency_us.count), ...latencyCells(report.latency.latency_us)], ...outcomeRows]), '');
  lines.push('## Circuit', '');
  if (circuit.health_url === null) lines.push('`/health` was not polled.', '');
  else lines.push(`Polled ${circuit.health_url} ${circuit.polls} times (${circuit.poll_errors} failed).`, '');
  lines.push(
    circuit.first_open_ms === null
      ? 'The circuit was never seen open.'
      : `First seen open at ${formatDuration(circuit.first_open_ms)} (by ${circuit.first_open_source === 'call' ? 'a circuit_breaker_error result' : '/health'}); ${circuit.fast_fails_after_open} of the ${circuit.calls_after_open} calls sent after that failed fast${circuit.fast_fail ? `, fast-fail p99 ${us(circuit.fast_fail.latency_us.p99)}` : ''}.`,
    '',
  );
  for (const [name, timeline] of Object.entries(circuit.upstreams)) {
    lines.push(`### ${name}`, '');
    lines.push(`fail_max ${timeline.fail_max ?? '?'}, reset timeout ${timeline.reset_timeout_s ?? '?'} s, highest fail_counter seen ${timeline.max_fail_counter}.`, '');
    lines.push(...table(['From', 'To', 'State'], timeline.segments.map((s) => [formatDuration(s.start_ms), formatDuration(s.end_ms), s.state])), '');
  }
  lines.push('## Per second', '');
  lines.push(
    ...table(
      ['t (s)', 'Calls', 'p50', 'p95', 'p99', 'In flight', 'Outcomes'],
      report.series.map((point) => [
        `${point.t_s}${point.warmup ? ' (warmup)' : ''}`,
        String(point.calls),
        point.latency_us ? us(point.latency_us.p50) : '',
        point.latency_us ? us(point.latency_us.p95) : '',
        point.latency_us ? us(point.latency_us.p99) : '',
        String(point.in_flight),
        Object.entries(point.outcomes).map(([outcome, n]) => `${outcome} ${n}`).join(', '),
      ]),
    ),
    '',
  );
  lines.push('## Load generator', '');
  lines.push(
    `CPU ${generator.cpu_percent}% of a core on average (peak ${generator.cpu_peak_percent}%), RSS peak ${(generator.rss_peak_bytes / 2 ** 20).toFixed(0)} MiB, event-loop delay p99 ${generator.event_loop_delay_p99_ms} ms${generator.saturated ? ' — **saturated**' : ''}.`,
    '',
  );
  if (report.warnings.length > 0) lines.push('## Warnings', '', ...report.warnings.map((warning) => `- ${warning}`), '');
  return lines.join('\n');
}
