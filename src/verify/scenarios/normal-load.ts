/** Scenario 1: normal load with a healthy orchestrator; every call succeeds and the circuit stays closed. */
import { formatDuration } from '../../common/duration.js';
import type { ScenarioResult } from '../../report/verify-report.js';
import { PLAN, scaleMs } from '../plan.js';
import type { ScenarioContext } from '../scenario-kit.js';
import { Caller } from '../caller.js';
import { check, circuitOf, clientTimeoutMs, describeOutcomes, ensureClosed, formatUs, percentileUs, recordRun, scenarioResult } from '../scenario-kit.js';

/** Rounds of `concurrency` calls before measuring, so the first measured calls do not pay for JIT and connection setup. */
const WARM_UP_ROUNDS = 3;

export async function normalLoad(ctx: ScenarioContext): Promise<ScenarioResult> {
  const started = performance.now();
  const { settings } = ctx;
  const shield = ctx.env.shield;
  await ensureClosed(ctx, shield);
  const concurrency = settings.normal_concurrency;
  ctx.progress(`scenario 1: ${concurrency} concurrent callers for ${formatDuration(settings.normal_duration_ms)}`);
  const warmUp = await Caller.open(shield.url, { timeoutMs: clientTimeoutMs(settings) });
  try {
    for (let round = 0; round < WARM_UP_ROUNDS; round++) await warmUp.concurrently(concurrency);
  } finally {
    await warmUp.close();
  }
  const recorded = await recordRun(ctx, shield, `concurrency ${concurrency} for ${formatDuration(settings.normal_duration_ms)}`, async (caller) => {
    await caller.warm(concurrency);
    await caller.closedLoop(concurrency, settings.normal_duration_ms);
  });
  const after = await circuitOf(shield);
  const calls = recorded.records;
  const succeeded = calls.filter((c) => c.outcome === 'success').length;
  const circuitErrors = calls.filter((c) => c.outcome === 'circuit_breaker_error').length;
  const statesSeen = [...new Set(recorded.run.circuit.map((s) => s.state))];
  const p95 = percentileUs(calls, 95);
  const elapsedS = recorded.run.elapsed_ms / 1000;
  const checks = [
    check('All requests succeed', 'every call succeeds', `${succeeded} of ${calls.length} succeeded${succeeded < calls.length ? ` (${describeOutcomes(calls)})` : ''}`, calls.length > 0 && succeeded === calls.length),
    check(
      'Circuit remains CLOSED',
      'closed throughout',
      `${statesSeen.join(' → ') || 'not seen'} during the run; ${after?.state ?? 'not in /health'} after; ${recorded.run.transitions} transitions`,
      statesSeen.every((s) => s === 'closed') && after?.state === 'closed' && recorded.run.transitions === 0,
    ),
    check('Response time < 5s (p95)', `p95 < ${formatDuration(settings.p95_target_ms)}`, `p95 = ${formatUs(p95)}`, calls.length > 0 && p95 / 1000 < settings.p95_target_ms),
    check('No circuit breaker errors', '0 circuit_breaker_error', `${circuitErrors} circuit_breaker_error`, circuitErrors === 0),
  ];
  return scenarioResult(1, {
    checks,
    figures: {
      calls: calls.length,
      succeeded,
      circuit_breaker_errors: circuitErrors,
      throughput_rps: elapsedS > 0 ? Math.round((calls.length / elapsedS) * 10) / 10 : 0,
      p50_us: percentileUs(calls, 50),
      p95_us: p95,
      p99_us: percentileUs(calls, 99),
      max_us: percentileUs(calls, 100),
      transitions: recorded.run.transitions,
    },
    runs: [recorded.run],
    notes: [
      `${WARM_UP_ROUNDS * concurrency} warm-up calls were made before measuring.`,
      ...(ctx.env.mode === 'embedded'
        ? [
            `The simulated orchestrator answers in ${formatDuration(scaleMs(PLAN.orchestratorLatencyMs.min, ctx.scale))}–${formatDuration(scaleMs(PLAN.orchestratorLatencyMs.max, ctx.scale))} (1–3 s at the plan's scale), so the p95 target scales with it; Shield's own share keeps the plan's 100 ms.`,
          ]
        : []),
    ],
    elapsedMs: performance.now() - started,
  });
}
