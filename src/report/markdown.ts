/**
 * report.md: the load test plan's "Test Execution Log" filled in. The plan left Test Run #2
 * (Dynamic Validation) "PENDING (orchestrator access required)"; this is that run, with its date,
 * status, time scale, per-scenario results and figures, and the Success Criteria table measured.
 */
import { formatDuration } from '../common/duration.js';
import { describeScale } from './scale.js';
import type { Figure, Verdict, VerifyReport } from './verify-report.js';
import { describeEmbedded } from './verify-report.js';

const MARK: Record<Verdict, string> = { pass: '✅ PASS', fail: '❌ FAIL', skipped: '⚠️ SKIPPED', not_run: '➖ NOT RUN', info: 'ℹ️ INFO' };

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
}

function formatFigure(value: Figure): string {
  if (value === null) return '–';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Math.round(value * 1000) / 1000);
  return String(value);
}

/** ` (not met: Reset timeout; skipped: scenario 4)`, or nothing when everything passed. */
function failedSummary(report: VerifyReport): string {
  const parts: string[] = [];
  const failed = [...report.scenarios.filter((s) => s.verdict === 'fail').map((s) => `scenario ${s.id}`), ...report.criteria.filter((c) => c.verdict === 'fail').map((c) => c.criterion)];
  const skipped = report.scenarios.filter((s) => s.verdict === 'skipped').map((s) => `scenario ${s.id}`);
  if (failed.length > 0) parts.push(`failed: ${failed.join(', ')}`);
  if (skipped.length > 0) parts.push(`skipped: ${skipped.join(', ')}`);
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

export function renderVerifyMarkdown(report: VerifyReport): string {
  const embedded = report.mode === 'embedded';
  const date = `${report.started_at.slice(0, 10)} ${report.started_at.slice(11, 16)} UTC`;
  const lines: string[] = [
    '## Test Execution Log',
    '',
    '### Test Run #2 - Dynamic Validation',
    `**Date**: ${date}  `,
    `**Status**: ${MARK[report.verdict]}${failedSummary(report)}  `,
    `**Run by**: \`shield verify\` ${report.shield_version}, ${formatDuration(report.elapsed_ms)}  `,
    `**Target**: ${embedded ? `${describeEmbedded(report)} (${report.server_url})` : report.server_url}  `,
    `**Time scale**: ${describeScale(report.time_scale, report.settings)}  `,
    `**Orchestrator down as**: ${report.down.map((d) => (d === 'refused' ? 'refused connections (stopped service)' : 'hung (no answer)')).join(', ')}`,
    '',
    '**Prerequisites**:',
    `- Orchestrator server accessible: ✅ ${embedded ? '(simulated, LightRAG-compatible)' : `(behind ${report.server_url})`}`,
    '- MCP client tool available: ✅ (`shield` MCP client)',
    `- Permission to stop/start orchestrator: ${report.chaos_url || embedded ? `✅ (${embedded ? 'simulator control' : `chaos control at ${report.chaos_url}`})` : '❌ (no --chaos: fault scenarios skipped)'}`,
    '',
    '**Results**:',
    ...report.scenarios.map((s, i) => `${i + 1}. Scenario ${s.id}, ${s.title}: ${MARK[s.verdict]}${s.skip_reason ? `: ${s.skip_reason}` : ''}`),
    '',
  ];
  for (const scenario of report.scenarios) {
    lines.push(`#### Scenario ${scenario.id}: ${scenario.title}: ${MARK[scenario.verdict]}`, '', `${scenario.objective} (${formatDuration(scenario.elapsed_ms)})`, '');
    if (scenario.skip_reason) lines.push(`Skipped: ${scenario.skip_reason}`, '');
    if (scenario.checks.length > 0) {
      lines.push(table(['Expected result', 'Expected', 'Observed', 'Result'], scenario.checks.map((c) => [c.name, c.expected, c.observed, MARK[c.verdict]])), '');
    }
    for (const note of scenario.notes) lines.push(`> ${note}`, '');
    const figures = Object.entries(scenario.figures);
    if (figures.length > 0) {
      lines.push('<details><summary>Figures</summary>', '', table(['Figure', 'Value'], figures.map(([name, value]) => [`\`${name}\``, formatFigure(value)])), '', '</details>', '');
    }
  }
  lines.push(
    '### Success Criteria',
    '',
    table(['Criterion', 'Target', 'Method', 'Observed', 'Result'], report.criteria.map((c) => [c.criterion, c.target, c.method, c.observed, MARK[c.verdict]])),
    '',
    `Every figure is in \`report.json\` (schema \`${report.schema}\`); charts are in \`report.html\`.`,
    '',
  );
  return lines.join('\n');
}
