/**
 * What every scenario needs: the context it runs in, checks with their verdicts, a recorded run of
 * calls (records, circuit timeline, transitions), `/health` reads, and bringing the circuit back to
 * closed between runs.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fetchHealth } from '../client/index.js';
import type { GuardSnapshot } from '../breaker/types.js';
import { formatDuration } from '../common/duration.js';
import type { Check, DownKind, Figure, ScenarioId, ScenarioResult, ScenarioRun, VerifySettings } from '../report/verify-report.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { Caller } from './caller.js';
import type { CallRecord } from './caller.js';
import type { Environment, ShieldUnderTest } from './environment.js';
import { PLAN, SCENARIOS, scaleMs } from './plan.js';
import { fetchMetrics, transitionsOf } from './server-metrics.js';
import type { Sample, ServerSideLatency } from './server-metrics.js';
import { CircuitTimeline } from './timeline.js';

export interface ScenarioContext {
  env: Environment;
  settings: VerifySettings;
  scale: number;
  down: DownKind[];
  /** One line of progress for people. */
  progress(line: string): void;
  /** Left by scenario 2 for scenario 3: when the circuit it opened opened (`performance.now()`). */
  openedAt: number | null;
  /** Seeds the flapping orchestrator's failures (scenario 5): the same seed draws the same sequence. */
  flakySeed: number;
}

export function check(name: string, expected: string, observed: string, passed: boolean): Check {
  return { name, expected, observed, verdict: passed ? 'pass' : 'fail' };
}

/** Reported, not asserted: what happens, for the reader to judge. */
export function info(name: string, expected: string, observed: string): Check {
  return { name, expected, observed, verdict: 'info' };
}

export function skippedCheck(name: string, expected: string, reason: string): Check {
  return { name, expected, observed: reason, verdict: 'skipped' };
}

export function verdictOf(checks: readonly Check[]): ScenarioResult['verdict'] {
  if (checks.some((c) => c.verdict === 'fail')) return 'fail';
  if (checks.some((c) => c.verdict === 'skipped')) return 'skipped';
  return checks.some((c) => c.verdict === 'pass') ? 'pass' : 'skipped';
}

/** An event loop later than this means the machine, not the server, shaped the latencies. */
const BUSY_LOOP_MS = 50;

export function scenarioResult(
  id: ScenarioId,
  parts: { checks: Check[]; figures: Record<string, Figure>; runs: ScenarioRun[]; notes: string[]; elapsedMs: number; skipReason?: string },
): ScenarioResult {
  const busiest = Math.max(0, ...parts.runs.map((run) => run.event_loop_delay_max_ms));
  const notes =
    busiest > BUSY_LOOP_MS
      ? [...parts.notes, `This process's event loop ran up to ${formatDuration(busiest)} late during the scenario: the machine was busy, and latencies measured from here include that.`]
      : parts.notes;
  return {
    id,
    ...SCENARIOS[id],
    verdict: parts.skipReason ? 'skipped' : verdictOf(parts.checks),
    skip_reason: parts.skipReason ?? null,
    elapsed_ms: Math.round(parts.elapsedMs),
    checks: parts.checks,
    figures: parts.figures,
    runs: parts.runs,
    notes,
  };
}

export function skippedScenario(id: ScenarioId, reason: string): ScenarioResult {
  return scenarioResult(id, { checks: [], figures: {}, runs: [], notes: [], elapsedMs: 0, skipReason: reason });
}

async function oneCircuit(shield: ShieldUnderTest): Promise<GuardSnapshot | null> {
  const health = await fetchHealth(shield.origin, { timeoutMs: 5_000 });
  return health.circuit_breakers[shield.upstream] ?? null;
}

/** How long replicas may disagree: a change reaches every replica within 100 ms (pub/sub). */
const REPLICAS_AGREE_MS = 200;

const describeCircuit = (circuit: GuardSnapshot | null) => (circuit ? `${circuit.state}/${circuit.fail_counter}` : 'none');

/**
 * The circuit as `/health` shows it. Replicas: read on every one, and the same state and counter
 * everywhere is the answer; replicas that still disagree after REPLICAS_AGREE_MS are an error.
 */
export async function circuitOf(shield: ShieldUnderTest): Promise<GuardSnapshot | null> {
  if (!shield.replicas) return oneCircuit(shield);
  const deadline = performance.now() + REPLICAS_AGREE_MS;
  for (;;) {
    const circuits = await Promise.all(shield.replicas.map(oneCircuit));
    const views = circuits.map(describeCircuit);
    if (views.every((view) => view === views[0])) return circuits[0]!;
    if (performance.now() > deadline) {
      throw new Error(`the replicas disagree on the circuit (state/fail_counter): ${views.join(', ')} after ${formatDuration(REPLICAS_AGREE_MS)}`);
    }
    await sleep(10);
  }
}

/** `/metrics` of every replica, one list: counters and histogram buckets add up cluster-wide. */
export async function metricsOf(shield: ShieldUnderTest): Promise<Sample[]> {
  const origins = shield.replicas ? shield.replicas.map((replica) => replica.origin) : [shield.origin];
  return (await Promise.all(origins.map(fetchMetrics))).flat();
}

/** Where calls go: every replica's MCP endpoint, or the one server's. */
export function endpointsOf(shield: ShieldUnderTest): readonly string[] {
  return shield.replicas ? shield.replicas.map((replica) => replica.url) : [shield.url];
}

/** The client's own deadline per call: well past the server's upstream timeout. */
export function clientTimeoutMs(settings: VerifySettings): number {
  return settings.timeout_ms * 3 + 5_000;
}

/** How often `/health` is polled: fine enough to time the reset timeout, never busier than every 2 ms. */
export function pollMs(settings: VerifySettings): number {
  return Math.min(250, Math.max(2, Math.round(settings.reset_timeout_ms / 100)));
}

export interface RecordedRun {
  run: ScenarioRun;
  records: CallRecord[];
}

/** Runs `body` with a fresh caller while following the circuit; returns the calls and the run for the report. */
export async function recordRun(
  ctx: ScenarioContext,
  shield: ShieldUnderTest,
  label: string,
  body: (caller: Caller) => Promise<void>,
): Promise<RecordedRun> {
  const before = transitionsOf(await fetchMetrics(shield.origin), shield.upstream);
  const caller = await Caller.open(endpointsOf(shield), { timeoutMs: clientTimeoutMs(ctx.settings) });
  const startedIso = new Date().toISOString();
  const timeline = new CircuitTimeline(caller.startedAt);
  timeline.watch(shield, pollMs(ctx.settings));
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  try {
    await body(caller);
  } finally {
    loopDelay.disable();
    await timeline.stop();
    await caller.close();
  }
  const elapsed = caller.now();
  const transitions = transitionsOf(await fetchMetrics(shield.origin), shield.upstream) - before;
  return {
    run: {
      label,
      started_at: startedIso,
      elapsed_ms: Math.round(elapsed),
      calls: caller.records.map(({ t_ms, latency_us, outcome }) => ({ t_ms: Math.round(t_ms * 1000) / 1000, latency_us, outcome })),
      circuit: timeline.segments(elapsed),
      transitions,
      event_loop_delay_max_ms: Math.round(loopDelay.max / 1e5) / 10,
    },
    records: caller.records,
  };
}

/**
 * Brings the orchestrator up and the circuit to closed with a zero counter. Embedded: the guard is
 * reset. A deployment recovers the plan's way: wait for half-open, then one successful call.
 */
export async function ensureClosed(ctx: ScenarioContext, shield: ShieldUnderTest): Promise<void> {
  await ctx.env.orchestrator?.setMode({ mode: 'healthy' });
  if (shield.guard) {
    const circuit = shield.guard.snapshot();
    if (circuit.state !== 'closed' || circuit.fail_counter !== 0) await shield.guard.reset();
    return;
  }
  const deadline = performance.now() + ctx.settings.reset_timeout_ms * 3 + 10_000;
  for (;;) {
    const circuit = await circuitOf(shield);
    if (circuit === null || (circuit.state === 'closed' && circuit.fail_counter === 0)) return;
    if (circuit.state !== 'open') {
      const caller = await Caller.open(endpointsOf(shield), { timeoutMs: clientTimeoutMs(ctx.settings) });
      try {
        await caller.call();
      } finally {
        await caller.close();
      }
    } else {
      await sleep(Math.min(circuit.retry_after_ms + 5, pollMs(ctx.settings) * 10));
    }
    if (performance.now() > deadline) {
      throw new Error(`the circuit of ${shield.origin} did not close within ${formatDuration(ctx.settings.reset_timeout_ms * 3 + 10_000)}`);
    }
  }
}

/** The plan's "sleep 2" between calls, scaled. */
export function pause(ctx: ScenarioContext): Promise<void> {
  return sleep(scaleMs(PLAN.pauseBetweenCallsMs, ctx.scale));
}

function countOutcomes(records: readonly CallRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records) counts.set(record.outcome, (counts.get(record.outcome) ?? 0) + 1);
  return counts;
}

/** `5 × orchestrator_error, 45 × overloaded`. */
export function describeOutcomes(records: readonly CallRecord[]): string {
  if (records.length === 0) return 'no calls';
  return [...countOutcomes(records)].map(([outcome, count]) => `${count} × ${outcome}`).join(', ');
}

/** Exact percentile (nearest rank) of the calls' latencies, µs. */
export function percentileUs(records: readonly CallRecord[], p: number): number {
  if (records.length === 0) return 0;
  const sorted = records.map((r) => r.latency_us).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function formatUs(us: number): string {
  return formatDuration(us / 1000);
}

export function sumUs(records: readonly CallRecord[]): number {
  return records.reduce((total, record) => total + record.latency_us, 0);
}

/** `4 of 5 within 1ms; median ≤ 250µs, slowest ≤ 2.50ms` (histogram bucket bounds). */
export function describeServerSide(latency: ServerSideLatency | null): string {
  if (latency === null || latency.calls === 0) return 'none recorded by the server';
  const bound = (s: number | null) => (s === null ? 'past the last bucket' : `≤ ${formatDuration(s * 1000)}`);
  return `${latency.within} of ${latency.calls} within 1ms; median ${bound(latency.medianBoundS)}, slowest ${bound(latency.maxBoundS)}`;
}

