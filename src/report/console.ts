/**
 * The console output of `shield verify`: per scenario a table of expected and observed results with
 * their verdicts, then the plan's Success Criteria table and the overall verdict.
 */
import { formatDuration } from '../common/duration.js';
import { describeScale } from './scale.js';
import { renderTextTable } from './text-table.js';
import type { Verdict, VerifyReport } from './verify-report.js';
import { describeEmbedded } from './verify-report.js';

export interface ConsoleOptions {
  /** Terminal width; default 120. */
  width?: number;
  /** ANSI colours for the verdicts. */
  color?: boolean;
}

const LABEL: Record<Verdict, string> = { pass: 'PASS', fail: 'FAIL', skipped: 'SKIPPED', not_run: 'NOT RUN', info: 'INFO' };
const COLOR: Record<Verdict, string> = { pass: '32', fail: '31', skipped: '33', not_run: '90', info: '36' };
const REVERSE: Partial<Record<string, Verdict>> = Object.fromEntries(Object.entries(LABEL).map(([verdict, label]) => [label, verdict as Verdict]));

export function renderVerifyConsole(report: VerifyReport, options: ConsoleOptions = {}): string {
  const width = Math.max(80, options.width ?? 120);
  const paint = (verdict: Verdict, text: string) => (options.color ? `\x1b[${COLOR[verdict]}m${text}\x1b[0m` : text);
  /** Colours the Result column (the last, index 3) by its verdict. */
  const verdictCell = (column: number, text: string, padded: string) => {
    const verdict = REVERSE[text];
    return column === 3 && verdict ? paint(verdict, padded) : padded;
  };
  const out: string[] = [];
  const where = report.mode === 'embedded' ? describeEmbedded(report) : report.server_url;
  out.push(`shield verify: load test plan TASK-019 against ${where}`);
  out.push(`time scale ${describeScale(report.time_scale, report.settings)}; orchestrator down as: ${report.down.join(', ')}`);
  for (const scenario of report.scenarios) {
    out.push('');
    out.push(`Scenario ${scenario.id}: ${scenario.title}  ${paint(scenario.verdict, LABEL[scenario.verdict])}  (${formatDuration(scenario.elapsed_ms)})`);
    if (scenario.skip_reason) out.push(`  skipped: ${scenario.skip_reason}`);
    if (scenario.checks.length > 0) {
      out.push(
        renderTextTable(
          ['Expected result', 'Expected', 'Observed', 'Result'],
          scenario.checks.map((c) => [c.name, c.expected, c.observed, LABEL[c.verdict]]),
          { width, shares: [4, 3, 4, 0], decorate: verdictCell },
        ),
      );
    }
    for (const note of scenario.notes) out.push(...wrapNote(note, width));
  }
  out.push('');
  out.push(`Success criteria  ${paint(report.verdict, LABEL[report.verdict])}`);
  out.push(
    renderTextTable(
      ['Criterion', 'Target', 'Observed', 'Result'],
      report.criteria.map((c) => [c.criterion, c.target, c.observed, LABEL[c.verdict]]),
      { width, shares: [2, 2, 6, 0], decorate: verdictCell },
    ),
  );
  out.push('');
  const count = (verdict: Verdict) => report.scenarios.filter((s) => s.verdict === verdict).length;
  const parts = [`${count('pass')} of ${report.scenarios.length} scenarios passed`];
  if (count('fail') > 0) parts.push(`${count('fail')} failed`);
  if (count('skipped') > 0) parts.push(`${count('skipped')} skipped (not verified)`);
  const met = report.criteria.filter((c) => c.verdict === 'pass').length;
  const measured = report.criteria.filter((c) => c.verdict !== 'not_run').length;
  parts.push(measured > 0 ? `${met} of ${measured} criteria met` : 'no criteria measured');
  out.push(`${paint(report.verdict, LABEL[report.verdict])}: ${parts.join(', ')} in ${formatDuration(report.elapsed_ms)}.`);
  return `${out.join('\n')}\n`;
}

/** A note under a scenario's table: `  note: ...`, wrapped to the width. */
function wrapNote(note: string, width: number): string[] {
  const lines: string[] = [];
  let line = '  note:';
  for (const word of note.split(/\s+/)) {
    if (line.length + 1 + word.length > width && line.trim() !== 'note:') {
      lines.push(line);
      line = '       ';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}
