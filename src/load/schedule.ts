/**
 * The open model's timetable: call k is due at a fixed time, so a stalled server cannot slow the
 * generator down and hide (no coordinated omission). During a ramp the rate rises linearly from 0.
 */
export interface OpenSchedule {
  /** When call k (from 0) is due, ms from the start. */
  intendedAt(k: number): number;
  /** How many calls are due strictly before `t` ms. */
  countBefore(t: number): number;
}

export function openSchedule(ratePerSecond: number, rampMs: number): OpenSchedule {
  const perMs = ratePerSecond / 1000;
  const rampCalls = (perMs * rampMs) / 2;
  return {
    intendedAt: (k) => (rampMs > 0 && k < rampCalls ? Math.sqrt((2 * k * rampMs) / perMs) : k / perMs + rampMs / 2),
    countBefore: (t) => {
      if (t <= 0) return 0;
      const due = rampMs > 0 && t < rampMs ? (perMs * t * t) / (2 * rampMs) : perMs * (t - rampMs / 2);
      // A time computed by intendedAt(k) may land a rounding error past k: that is still k calls before it.
      const nearest = Math.round(due);
      return Math.abs(due - nearest) < 1e-9 * Math.max(1, nearest) ? nearest : Math.ceil(due);
    },
  };
}
