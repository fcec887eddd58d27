/** The human-readable status `shield chaos` and `shield sim` print. */
import type { ChaosStatus } from './control-server.js';
import { formatDuration } from '../common/duration.js';
import type { Mode } from './mode.js';

export function formatMode(mode: Mode): string {
  switch (mode.mode) {
    case 'slow':
      return `slow (${formatDuration(mode.delay_ms)} per request)`;
    case 'error':
      return `error (HTTP ${mode.status})`;
    case 'flaky': {
      const fault =
        mode.fault === 'error'
          ? `error ${mode.status}`
          : mode.fault === 'slow'
            ? `slow ${formatDuration(mode.delay_ms ?? 0)}`
            : mode.fault;
      return `flaky (${mode.rate * 100}% of ${mode.per}s get ${fault}, seed ${mode.seed})`;
    }
    default:
      return mode.mode;
  }
}

export function formatStatus(status: ChaosStatus): string {
  const where =
    status.role === 'sim' ? `simulated orchestrator at ${status.url}` : `chaos proxy at ${status.url} -> ${status.target ?? '?'}`;
  const { counters } = status;
  const kinds = Object.entries(counters.faults_by_kind)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
  return [
    `${where} (${status.listening ? 'listening' : 'port closed'})`,
    `mode: ${formatMode(status.mode)}`,
    `requests: ${counters.requests}, connections: ${counters.connections}, faults: ${counters.faults}${kinds ? ` (${kinds})` : ''}`,
  ].join('\n');
}
