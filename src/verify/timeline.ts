/**
 * The circuit's state over a run, for the charts and the checks: from the guard's own events when the
 * server is embedded (exact times), otherwise from polling `/health`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import type { CircuitState } from '../breaker/errors.js';
import { fetchHealth } from '../client/index.js';
import type { CircuitSegment } from '../report/load-report.js';
import type { ShieldUnderTest } from './environment.js';

type Observed = CircuitState | 'unknown';

export class CircuitTimeline {
  private readonly changes: Array<{ at_ms: number; state: Observed }> = [];
  private stopWatching: (() => Promise<void>) | undefined;

  constructor(private readonly startedAt: number) {}

  /** Notes the state seen at `at` (a `performance.now()` time); repeats are ignored. */
  observe(state: Observed, at = performance.now()): void {
    if (this.changes.at(-1)?.state === state) return;
    this.changes.push({ at_ms: Math.max(0, at - this.startedAt), state });
  }

  /** The timeline as segments; the first state seen is taken as the state since the start. */
  segments(endMs: number): CircuitSegment[] {
    return this.changes.map((change, i) => ({
      start_ms: i === 0 ? 0 : change.at_ms,
      end_ms: Math.max(change.at_ms, this.changes[i + 1]?.at_ms ?? endMs),
      state: change.state,
    }));
  }

  /** Starts following `shield`: its guard's events when embedded, else `/health` every `pollMs`. */
  watch(shield: ShieldUnderTest, pollMs: number): void {
    if (shield.guard) {
      const guard = shield.guard;
      this.observe(guard.snapshot().state);
      const unsubscribe = guard.on((event) => {
        if (event.type === 'state_change') this.observe(event.to);
      });
      this.stopWatching = async () => unsubscribe();
      return;
    }
    const dispatcher = new Agent({ connections: 1 });
    let stopped = false;
    const poll = async (): Promise<void> => {
      while (!stopped) {
        try {
          const health = await fetchHealth(shield.origin, { dispatcher, timeoutMs: 2_000 });
          this.observe(health.circuit_breakers[shield.upstream]?.state ?? 'unknown');
        } catch {
          this.observe('unknown');
        }
        await sleep(pollMs);
      }
    };
    const polling = poll();
    this.stopWatching = async () => {
      stopped = true;
      await polling;
      await dispatcher.close();
    };
  }

  async stop(): Promise<void> {
    await this.stopWatching?.();
    this.stopWatching = undefined;
  }
}
