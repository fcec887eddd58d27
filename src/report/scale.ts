/** How reports state the time scale: the factor, and what it made of the plan's two main durations. */
import { formatDuration } from '../common/duration.js';
import type { VerifySettings } from './verify-report.js';

/** 0.01 → `1/100`, 1 → `1 (the plan's real timings)`, 0.3 → `0.3`. */
export function formatScale(scale: number): string {
  if (scale === 1) return "1 (the plan's real timings)";
  const inverse = 1 / scale;
  if (scale < 1 && Math.abs(inverse - Math.round(inverse)) < 1e-9) return `1/${Math.round(inverse)}`;
  return String(scale);
}

export function describeScale(scale: number, settings: Pick<VerifySettings, 'timeout_ms' | 'reset_timeout_ms'>): string {
  return `${formatScale(scale)}: 30s timeout → ${formatDuration(settings.timeout_ms)}, 60s reset timeout → ${formatDuration(settings.reset_timeout_ms)}`;
}
