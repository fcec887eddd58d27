/** `shield health`: circuit states as a table, and one line per state transition for `--watch`. */
import type { GuardSnapshot } from '../breaker/types.js';
import { formatDuration } from '../common/duration.js';
import type { HealthSnapshot } from './health.js';

const COLUMNS = ['UPSTREAM', 'STATE', 'FAILS', 'RESET', 'OPENED AT', 'RETRY IN', 'IN FLIGHT', 'QUEUED'];

function row(name: string, snapshot: GuardSnapshot): string[] {
  return [
    name,
    snapshot.state + (snapshot.forced ? ` (forced ${snapshot.forced})` : ''),
    `${snapshot.fail_counter ?? '?'}/${snapshot.fail_max ?? '?'}`,
    snapshot.reset_timeout_s === undefined ? '?' : formatDuration(snapshot.reset_timeout_s * 1000),
    snapshot.opened_at ?? '-',
    snapshot.retry_after_ms ? formatDuration(snapshot.retry_after_ms) : '-',
    String(snapshot.in_flight ?? '?'),
    String(snapshot.queued ?? '?'),
  ];
}

export function formatHealthTable(health: HealthSnapshot, breakers: Record<string, GuardSnapshot>): string {
  const header = [`status ${health.status}`];
  if (health.version) header.push(`version ${health.version}`);
  if (health.uptime_s !== undefined) header.push(`up ${formatDuration(health.uptime_s * 1000)}`);
  const rows = [COLUMNS, ...Object.entries(breakers).map(([name, snapshot]) => row(name, snapshot))];
  const widths = COLUMNS.map((_, column) => Math.max(...rows.map((cells) => (cells[column] as string).length)));
  const lines = rows.map((cells) => cells.map((cell, column) => cell.padEnd(widths[column] as number)).join('  ').trimEnd());
  if (rows.length === 1) lines.push('(no circuit breakers listed)');
  return [header.join(' · '), ...lines].join('\n');
}

/** The transitions between two polls, one line each; the first poll reports every upstream. */
export function describeTransitions(
  previous: Record<string, GuardSnapshot> | undefined,
  current: Record<string, GuardSnapshot>,
  at: Date,
): string[] {
  const stamp = at.toISOString();
  const lines: string[] = [];
  for (const [name, snapshot] of Object.entries(current)) {
    const before = previous?.[name];
    if (before?.state === snapshot.state) continue;
    const change = before ? `${before.state} → ${snapshot.state}` : snapshot.state;
    lines.push(`${stamp} ${name} ${change} (fail_counter ${snapshot.fail_counter}/${snapshot.fail_max}${snapshot.retry_after_ms ? `, retry in ${formatDuration(snapshot.retry_after_ms)}` : ''})`);
  }
  for (const name of Object.keys(previous ?? {})) if (!(name in current)) lines.push(`${stamp} ${name} no longer listed`);
  return lines;
}
