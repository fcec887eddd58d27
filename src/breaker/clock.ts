/**
 * Time is injected: the breaker, the bulkhead and the timeout read the clock and schedule timers
 * only through this interface, so tests drive them with a fake clock, instantly and deterministically.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /**
   * Epoch milliseconds, fractional, never going backwards within a process. Epoch-based so that
   * processes sharing breaker state (Redis) compare times on one scale.
   */
  now(): number;
  /** Runs `callback` after `ms`; the timer must not keep the process alive. */
  setTimer(ms: number, callback: () => void): TimerHandle;
}

/** Constant for the process; read once because the getter is not free on the fast-fail path. */
const timeOrigin = performance.timeOrigin;

/** Node fires longer timers at once; callers re-arm for the rest when a capped timer fires early. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Real time: high-resolution epoch time and unref'd timers. */
export const systemClock: Clock = {
  now: () => timeOrigin + performance.now(),
  setTimer(ms, callback) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

/** A clock that moves only when told to: `advance(ms)` fires the timers that fall due, in order. */
export class FakeClock implements Clock {
  private current: number;
  private sequence = 0;
  private readonly timers = new Map<number, { due: number; callback: () => void }>();

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, callback: () => void): TimerHandle {
    const id = this.sequence++;
    this.timers.set(id, { due: this.current + Math.max(0, ms), callback });
    return { cancel: () => this.timers.delete(id) };
  }

  /** Moves time forward, firing each due timer at its own due time. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let nextId: number | undefined;
      let nextDue = Infinity;
      for (const [id, timer] of this.timers) {
        if (timer.due <= target && timer.due < nextDue) {
          nextDue = timer.due;
          nextId = id;
        }
      }
      if (nextId === undefined) break;
      const timer = this.timers.get(nextId)!;
      this.timers.delete(nextId);
      this.current = Math.max(this.current, timer.due);
      timer.callback();
    }
    this.current = target;
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.size;
  }
}
