/**
 * Polls `/health` during a load run (one poll at a time, on its own connection so it never queues
 * behind the load) and turns the answers into a circuit-state timeline per upstream.
 */
import { Pool } from 'undici';
import { fetchHealth, HealthError } from '../client/health.js';
import type { CircuitState } from '../breaker/errors.js';
import type { CircuitSegment, UpstreamTimeline } from '../report/load-report.js';

/** Consecutive failed polls before a server without `/health` stops being polled. */
const GIVE_UP_AFTER = 3;

export interface CircuitWatchResult {
  polls: number;
  pollErrors: number;
  upstreams: Record<string, UpstreamTimeline>;
  /** Why polling stopped early, if it did. */
  warning: string | null;
}

export class CircuitWatch {
  private readonly pool: Pool;
  private readonly upstreams = new Map<string, UpstreamTimeline>();
  private polls = 0;
  private pollErrors = 0;
  private consecutiveErrors = 0;
  private everAnswered = false;
  private warning: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private lastPollMs = 0;

  constructor(
    private readonly url: URL,
    private readonly intervalMs: number,
    /** Milliseconds since the run started. */
    private readonly elapsed: () => number,
    /** Epoch ms of the run's start, to place the server's `opened_at` on the run's time axis. */
    private readonly startEpochMs: number,
    private readonly onOpen: (atMs: number) => void,
    private readonly headers: Record<string, string> = {},
  ) {
    this.pool = new Pool(url.origin, { connections: 1 });
  }

  start(): void {
    this.tick();
  }

  /** Current state per upstream, for live progress. */
  current(): Record<string, CircuitState | 'unknown'> {
    const states: Record<string, CircuitState | 'unknown'> = {};
    for (const [name, timeline] of this.upstreams) states[name] = timeline.segments.at(-1)?.state ?? 'unknown';
    return states;
  }

  /** Stops polling after one last poll, so the timeline ends on the state the run left behind. */
  async stop(): Promise<CircuitWatchResult> {
    const gaveUp = this.stopped;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
    if (!gaveUp) await this.poll();
    const end = this.elapsed();
    for (const timeline of this.upstreams.values()) {
      const last = timeline.segments.at(-1);
      if (last) last.end_ms = Math.max(last.end_ms, end);
    }
    await this.pool.close();
    return {
      polls: this.polls,
      pollErrors: this.pollErrors,
      upstreams: Object.fromEntries(this.upstreams),
      warning: this.warning,
    };
  }

  private tick(): void {
    if (this.stopped) return;
    const started = this.elapsed();
    this.inFlight = this.poll().finally(() => {
      this.inFlight = undefined;
      if (this.stopped) return;
      const wait = Math.max(0, this.intervalMs - (this.elapsed() - started));
      this.timer = setTimeout(() => this.tick(), wait);
    });
  }

  private async poll(): Promise<void> {
    this.polls++;
    const previousPollMs = this.lastPollMs;
    try {
      const health = await fetchHealth(this.url, { dispatcher: this.pool, timeoutMs: Math.max(1000, this.intervalMs * 4), headers: this.headers });
      const at = this.elapsed();
      this.lastPollMs = at;
      this.everAnswered = true;
      this.consecutiveErrors = 0;
      const seen = new Set<string>();
      for (const [name, snapshot] of Object.entries(health.circuit_breakers)) {
        seen.add(name);
        const timeline = this.timeline(name);
        timeline.max_fail_counter = Math.max(timeline.max_fail_counter, snapshot.fail_counter ?? 0);
        if (typeof snapshot.fail_max === 'number') timeline.fail_max = snapshot.fail_max;
        if (typeof snapshot.reset_timeout_s === 'number') timeline.reset_timeout_s = snapshot.reset_timeout_s;
        this.observe(timeline, snapshot.state, at);
        if (snapshot.state === 'open') {
          const openedAt = openedAtOnRunAxis(snapshot.opened_at, this.startEpochMs, previousPollMs, at);
          if (timeline.first_open_ms === null) timeline.first_open_ms = openedAt;
          this.onOpen(openedAt);
        }
      }
      for (const [name, timeline] of this.upstreams) if (!seen.has(name)) this.observe(timeline, 'unknown', at);
    } catch (error) {
      const at = this.elapsed();
      this.lastPollMs = at;
      this.pollErrors++;
      this.consecutiveErrors++;
      for (const timeline of this.upstreams.values()) this.observe(timeline, 'unknown', at);
      if (!this.everAnswered && this.consecutiveErrors >= GIVE_UP_AFTER) {
        this.stopped = true;
        const reason = error instanceof HealthError ? error.message : String(error);
        this.warning = `no circuit timeline: ${reason}`;
      }
    }
  }

  private timeline(name: string): UpstreamTimeline {
    let timeline = this.upstreams.get(name);
    if (!timeline) {
      timeline = { segments: [], first_open_ms: null, max_fail_counter: 0, fail_max: null, reset_timeout_s: null };
      this.upstreams.set(name, timeline);
    }
    return timeline;
  }

  private observe(timeline: UpstreamTimeline, state: CircuitSegment['state'], at: number): void {
    const last = timeline.segments.at(-1);
    if (last) last.end_ms = at;
    if (last?.state !== state) timeline.segments.push({ start_ms: at, end_ms: at, state });
  }
}

/**
 * The server's `opened_at` is more precise than the poll that saw it, but it comes from another
 * clock: trust it only when it falls between the previous poll and this one.
 */
function openedAtOnRunAxis(openedAt: string | null | undefined, startEpochMs: number, previousPollMs: number, pollMs: number): number {
  if (typeof openedAt !== 'string') return pollMs;
  const atMs = Date.parse(openedAt) - startEpochMs;
  return Number.isFinite(atMs) && atMs >= previousPollMs - 1 && atMs <= pollMs ? Math.max(0, atMs) : pollMs;
}
