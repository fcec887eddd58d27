/**
 * Scenario 2: the orchestrator goes down; calls made one by one, slowly, fail with
 * `orchestrator_error` until the fail_max-th opens the circuit; the next fails fast with
 * `circuit_breaker_error`; `/health` shows open with fail_counter = fail_max. Run once per kind of
 * "down": refused connections fail at once, a hung orchestrator costs each caller the timeout.
 */
import type { GuardSnapshot } from '../../breaker/types.js';
import { formatDuration } from '../../common/duration.js';
import type { Check, DownKind, Figure, ScenarioResult, ScenarioRun } from '../../report/verify-report.js';
import type { ScenarioContext } from '../scenario-kit.js';
import { check, circuitOf, describeServerSide, ensureClosed, formatUs, info, metricsOf, pause, recordRun, scenarioResult } from '../scenario-kit.js';
import { serverLatency } from '../server-metrics.js';
import type { ServerSideLatency } from '../server-metrics.js';

/** Fast-fails sampled after the circuit opens: the server-side figure is judged on their median. */
const FAST_FAIL_SAMPLES = 5;

const MODE: Record<DownKind, 'down' | 'hang'> = { refused: 'down', hang: 'hang' };
const REASON: Record<DownKind, string> = { refused: 'connection_refused', hang: 'timeout' };

export async function gradualFailures(ctx: ScenarioContext): Promise<ScenarioResult> {
  const started = performance.now();
  const checks: Check[] = [];
  const figures: Record<string, Figure> = {};
  const runs: ScenarioRun[] = [];
  for (const kind of ctx.down) {
    const outcome = await runOnce(ctx, kind);
    checks.push(...outcome.checks);
    runs.push(outcome.run);
    for (const [name, value] of Object.entries(outcome.figures)) figures[`${kind}.${name}`] = value;
  }
  const notes = ctx.down.includes('refused')
    ? ["A stopped orchestrator (the plan's `systemctl stop`) refuses connections, so its failures come back at once, not after the plan's 30 s timeout; only a hung orchestrator costs each caller the timeout."]
    : [];
  return scenarioResult(2, { checks, figures, runs, notes, elapsedMs: performance.now() - started });
}

async function runOnce(ctx: ScenarioContext, kind: DownKind) {
  const { settings, env } = ctx;
  const shield = env.shield;
  const failMax = settings.fail_max;
  const suffix = ctx.down.length > 1 ? ` [${kind}]` : '';
  await ensureClosed(ctx, shield);
  await env.orchestrator!.setMode({ mode: MODE[kind] });
  ctx.progress(`scenario 2 [${kind}]: orchestrator down, ${failMax} calls one by one`);
  const seen: { health: GuardSnapshot | null; serverSide: ServerSideLatency | null; openedAt: number | null } = {
    health: null,
    serverSide: null,
    openedAt: null,
  };
  const recorded = await recordRun(ctx, shield, `down: ${kind}`, async (caller) => {
    for (let i = 0; i < failMax; i++) {
      const record = await caller.call();
      if (record.tripped) seen.openedAt = caller.startedAt + record.end_ms;
      if (record.outcome === 'circuit_breaker_error') break;
      await pause(ctx);
    }
    seen.health = await circuitOf(shield);
    const before = await metricsOf(shield);
    for (let i = 0; i < FAST_FAIL_SAMPLES; i++) await caller.call();
    seen.serverSide = serverLatency(before, await metricsOf(shield), ['circuit_breaker_error'], 0.001);
  });
  const calls = recorded.records;
  const failures = calls.slice(0, failMax);
  const next = calls[failMax] ?? calls.at(-1);
  const firstFastFail = calls.findIndex((c) => c.outcome === 'circuit_breaker_error');
  const failuresBeforeOpen = (firstFastFail < 0 ? calls : calls.slice(0, firstFastFail)).filter((c) => c.outcome === 'orchestrator_error').length;
  const reasons = [...new Set(failures.map((c) => c.reason ?? c.outcome))].join(', ');
  const failureLatencies = failures.map((c) => c.latency_us);
  const slowest = Math.max(0, ...failureLatencies);
  const fastest = Math.min(...failureLatencies);
  const allOrchestratorErrors = failures.length === failMax && failures.every((c) => c.outcome === 'orchestrator_error');
  const { health, serverSide, openedAt } = seen;
  const checksOut: Check[] = [
    check(
      `First ${failMax} requests fail with orchestrator_error${suffix}`,
      `${failMax} × orchestrator_error (${REASON[kind]})`,
      `${failures.filter((c) => c.outcome === 'orchestrator_error').length} × orchestrator_error (${reasons || 'none'})`,
      allOrchestratorErrors && failures.every((c) => c.reason === REASON[kind]),
    ),
    kind === 'hang'
      ? check(
          `Each waits the timeout (30 s at the plan's scale)${suffix}`,
          `${formatDuration(settings.timeout_ms)} each`,
          `${formatUs(fastest)} to ${formatUs(slowest)}`,
          failures.length > 0 && fastest / 1000 >= settings.timeout_ms * 0.95 && slowest / 1000 <= settings.timeout_ms * 1.5 + 250,
        )
      : info(`Each fails at once (connection refused)${suffix}`, 'no wait', `${formatUs(fastest)} to ${formatUs(slowest)}`),
    check(
      `Circuit state = OPEN, fail_counter = ${failMax}${suffix}`,
      `{"state": "open", "fail_counter": ${failMax}}`,
      health ? `{"state": "${health.state}", "fail_counter": ${health.fail_counter}}` : 'no circuit in /health',
      health?.state === 'open' && health.fail_counter === failMax,
    ),
    check(
      `Request ${failMax + 1} fails instantly with circuit_breaker_error${suffix}`,
      `circuit_breaker_error in < ${formatDuration(settings.fast_fail_target_ms)}`,
      next ? `${next.outcome} in ${formatUs(next.latency_us)}` : 'no call',
      next?.outcome === 'circuit_breaker_error' && next.latency_us / 1000 < settings.fast_fail_target_ms,
    ),
    check(
      `…in < 1 ms inside the server${suffix}`,
      `median of requests ${failMax + 1}–${failMax + FAST_FAIL_SAMPLES} < 1ms (server-side histogram)`,
      describeServerSide(serverSide),
      serverSide !== null && serverSide.calls > 0 && serverSide.medianBoundS !== null && serverSide.medianBoundS <= 0.001,
    ),
  ];
  if (openedAt !== null && health?.state === 'open') ctx.openedAt = openedAt;
  return {
    checks: checksOut,
    run: recorded.run,
    figures: {
      failures_before_open: failuresBeforeOpen,
      failure_latency_min_us: failures.length > 0 ? fastest : null,
      failure_latency_max_us: failures.length > 0 ? slowest : null,
      fast_fail_us: next?.outcome === 'circuit_breaker_error' ? next.latency_us : null,
      fast_fail_server_median_bound_s: serverSide?.medianBoundS ?? null,
      fast_fail_server_max_bound_s: serverSide?.maxBoundS ?? null,
      health_state: health?.state ?? null,
      health_fail_counter: health?.fail_counter ?? null,
      transitions: recorded.run.transitions,
    } satisfies Record<string, Figure>,
  };
}
