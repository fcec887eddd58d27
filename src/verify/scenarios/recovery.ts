/**
 * Scenario 3: from an open circuit (scenario 2's, or one opened here), wait for the reset timeout:
 * `/health` shows half-open; bring the orchestrator back; one successful call closes the circuit
 * with fail_counter 0, and later calls succeed. The time to half-open is measured and compared
 * with the configured reset timeout.
 */
import type { GuardSnapshot } from '../../breaker/types.js';
import { formatDuration } from '../../common/duration.js';
import type { CallRecord } from '../caller.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { PLAN, scaleMs } from '../plan.js';
import type { ScenarioContext } from '../scenario-kit.js';
import { check, circuitOf, ensureClosed, formatUs, pollMs, recordRun, scenarioResult } from '../scenario-kit.js';
import type { ScenarioResult } from '../../report/verify-report.js';

const LATER_CALLS = 5;

/** How far the measured reset timeout may be from the configured one. */
export function resetTolerance(resetMs: number): number {
  return Math.max(50, resetMs * 0.1);
}

export async function recovery(ctx: ScenarioContext): Promise<ScenarioResult> {
  const started = performance.now();
  const { settings, env } = ctx;
  const shield = env.shield;
  const notes: string[] = [];
  const resetMs = settings.reset_timeout_ms;
  const seen: { openedAt: number | null; halfOpenAt: number | null; recovery: CallRecord | null; after: GuardSnapshot | null } = {
    openedAt: null,
    halfOpenAt: null,
    recovery: null,
    after: null,
  };
  const inherited = ctx.openedAt !== null && (await circuitOf(shield))?.state === 'open';
  if (inherited) notes.push('Starts from the circuit scenario 2 left open.');
  else {
    await ensureClosed(ctx, shield);
    await env.orchestrator!.setMode({ mode: 'down' });
    notes.push(`Setup: the orchestrator was stopped and ${settings.fail_max} calls opened the circuit (scenario 2 did not leave it open).`);
  }
  ctx.progress(`scenario 3: waiting ${formatDuration(resetMs)} for half-open, then recovery`);
  const recorded = await recordRun(ctx, shield, 'recovery', async (caller) => {
    seen.openedAt = ctx.openedAt;
    if (!inherited) {
      for (let i = 0; i < settings.fail_max; i++) {
        const record = await caller.call();
        if (record.tripped) seen.openedAt = caller.startedAt + record.end_ms;
      }
    }
    const deadline = performance.now() + resetMs * 2 + 1_000;
    while (performance.now() < deadline) {
      if ((await circuitOf(shield))?.state === 'half_open') {
        seen.halfOpenAt = performance.now();
        break;
      }
      await sleep(pollMs(settings));
    }
    await env.orchestrator!.setMode({ mode: 'healthy' });
    await sleep(scaleMs(PLAN.stabiliseMs, ctx.scale));
    seen.recovery = await caller.call();
    seen.after = await circuitOf(shield);
    for (let i = 0; i < LATER_CALLS; i++) await caller.call();
  });
  ctx.openedAt = null;
  const { openedAt, halfOpenAt, recovery: first, after } = seen;
  const measured = openedAt !== null && halfOpenAt !== null ? halfOpenAt - openedAt : null;
  const tolerance = resetTolerance(resetMs);
  const later = recorded.records.slice(recorded.records.indexOf(first as CallRecord) + 1);
  const laterOk = later.filter((c) => c.outcome === 'success').length;
  const checks = [
    check(
      'After the reset timeout, circuit moves to HALF_OPEN',
      `half_open after ${formatDuration(resetMs)} ± ${formatDuration(tolerance)}`,
      measured === null ? (openedAt === null ? 'the circuit did not open' : `no half_open within ${formatDuration(resetMs * 2 + 1_000)}`) : `half_open after ${formatDuration(measured)}`,
      measured !== null && Math.abs(measured - resetMs) <= tolerance,
    ),
    check('First request succeeds', 'success', first ? `${first.outcome} in ${formatUs(first.latency_us)}` : 'no call', first?.outcome === 'success'),
    check(
      'Circuit moves to CLOSED, fail_counter resets to 0',
      '{"state": "closed", "fail_counter": 0}',
      after ? `{"state": "${after.state}", "fail_counter": ${after.fail_counter}}` : 'no circuit in /health',
      after?.state === 'closed' && after.fail_counter === 0,
    ),
    check('Subsequent requests succeed normally', `${LATER_CALLS} of ${LATER_CALLS} succeed`, `${laterOk} of ${later.length} succeed`, later.length === LATER_CALLS && laterOk === LATER_CALLS),
  ];
  return scenarioResult(3, {
    checks,
    figures: {
      reset_timeout_configured_ms: resetMs,
      reset_timeout_measured_ms: measured === null ? null : Math.round(measured * 10) / 10,
      reset_timeout_tolerance_ms: tolerance,
      recovery_outcome: first?.outcome ?? null,
      recovery_call_us: first?.latency_us ?? null,
      state_after_recovery: after?.state ?? null,
      fail_counter_after_recovery: after?.fail_counter ?? null,
      later_successes: laterOk,
      transitions: recorded.run.transitions,
    },
    runs: [recorded.run],
    notes,
    elapsedMs: performance.now() - started,
  });
}
