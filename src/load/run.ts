/**
 * `runLoad()`: drives one tool with concurrency, closed model (workers call back to back) or open
 * model (`rate`: each call timed from its intended start, so a stalled server cannot hide by slowing
 * the generator down), while `/health` is polled for the circuit timeline. Always resolves with a
 * report once the run started, also when stopped early through `signal`.
 */
import { createRequire } from 'node:module';
import { Pool } from 'undici';
import { connectForCommand, requireTool } from '../client/command-connect.js';
import type { McpClient } from '../client/mcp-client.js';
import { formatDuration } from '../common/duration.js';
import { distributionOf } from '../report/load-histogram.js';
import { LOAD_REPORT_SCHEMA, type LoadReport } from '../report/load-report.js';
import { CircuitWatch, type CircuitWatchResult } from './circuit-watch.js';
import { describeExpectations, evaluateExpectations } from './expectations.js';
import { GeneratorMonitor, SATURATION_PERCENT } from './generator-monitor.js';
import { resolveLoadOptions, type LoadOptions, type LoadProgress, type ResolvedLoadOptions } from './options.js';
import { LoadRecorder } from './recorder.js';
import { openSchedule } from './schedule.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export async function runLoad(input: LoadOptions): Promise<LoadReport> {
  const options = resolveLoadOptions(input);
  // Each call has its own deadline (--timeout), so undici's per-request socket timers would only add work.
  const pool = new Pool(options.server.origin, { connections: options.concurrency, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
  const clients: McpClient[] = [];
  let restoreOrchestrator: (() => Promise<unknown>) | undefined;
  try {
    const connectOptions = {
      dispatcher: pool,
      protocol: options.protocol,
      headers: options.headers,
      clientInfo: { name: 'shield-load', version },
      ...(options.token ? { token: options.token } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
    };
    clients.push(await connectForCommand(options.server, connectOptions));
    await requireTool(clients[0] as McpClient, options.tool);
    if (options.sessions === 'per-worker') {
      for (let i = 1; i < options.concurrency; i += 16) {
        const batch = Math.min(16, options.concurrency - i);
        clients.push(...(await Promise.all(Array.from({ length: batch }, () => connectForCommand(options.server, connectOptions)))));
      }
    }
    if (options.orchestratorDown && options.chaosUrl) {
      const { createChaosControl } = await import('../sim/index.js');
      const chaos = createChaosControl(options.chaosUrl);
      await chaos.setMode({ mode: 'down' });
      restoreOrchestrator = () => chaos.setMode({ mode: 'healthy' });
    }
    const report = await drive(options, clients, input);
    if (restoreOrchestrator) {
      const restore = restoreOrchestrator;
      restoreOrchestrator = undefined;
      await restore().catch((error: Error) => report.warnings.push(`could not bring the orchestrator back up: ${error.message}`));
    }
    return report;
  } finally {
    await restoreOrchestrator?.().catch(() => undefined);
    await Promise.all(clients.map((client) => client.close()));
    await pool.close();
  }
}

async function drive(options: ResolvedLoadOptions, clients: McpClient[], input: LoadOptions): Promise<LoadReport> {
  const startedAt = new Date();
  const t0 = performance.now();
  const elapsed = (): number => performance.now() - t0;
  const monitor = new GeneratorMonitor();
  const inFlight = { count: 0 };
  let cpuPercent = 0;
  const recorder = new LoadRecorder(options.warmupMs, () => ({ inFlight: inFlight.count, cpuPercent }), input.onCall);
  const watch = options.healthUrl
    ? new CircuitWatch(options.healthUrl, options.healthIntervalMs, elapsed, startedAt.getTime(), (at) => recorder.noteOpen(at, 'health'), options.headers)
    : undefined;
  const stop = new AbortController();
  // Calls in flight are aborted by their client, so no call has to listen for the stop itself.
  stop.signal.addEventListener('abort', () => clients.forEach((client) => client.abortAll()), { once: true });
  const onAbort = (): void => stop.abort();
  input.signal?.addEventListener('abort', onAbort, { once: true });
  if (input.signal?.aborted) stop.abort();

  let completedBefore = 0;
  const ticker = setInterval(() => {
    cpuPercent = monitor.sample();
    const now = elapsed();
    recorder.advance(now);
    if (!input.onProgress) return;
    const completed = recorder.calls + recorder.warmupCalls;
    const progress: LoadProgress = {
      elapsedMs: now,
      phase: now < options.warmupMs ? 'warmup' : isPastEnd(options, now) ? 'drain' : 'measure',
      calls: recorder.calls,
      failures: recorder.calls - recorder.succeeded,
      rate: ((completed - completedBefore) * 1000) / options.progressIntervalMs,
      p95Us: recorder.all.totalCount > 0 ? recorder.all.getValueAtPercentile(95) : 0,
      inFlight: inFlight.count,
      circuit: watch?.current() ?? {},
      cpuPercent,
    };
    completedBefore = completed;
    input.onProgress(progress);
  }, options.progressIntervalMs);

  watch?.start();
  const run: ModelRun = { options, clients, recorder, elapsed, signal: stop.signal, inFlight };
  try {
    if (options.rate !== null) await openModel(run);
    else await closedModel(run);
  } finally {
    clearInterval(ticker);
    input.signal?.removeEventListener('abort', onAbort);
  }
  const circuit: CircuitWatchResult = watch ? await watch.stop() : { polls: 0, pollErrors: 0, upstreams: {}, warning: null };
  const end = elapsed();
  recorder.finish(end);
  const lastPoint = recorder.series.at(-1);
  if (lastPoint) lastPoint.dropped = recorder.dropped;
  const generator = monitor.stop();
  const measuredMs = Math.max(1, (recorder.calls > 0 ? recorder.lastCompletionMs : end) - options.warmupMs);
  const failed = recorder.calls - recorder.succeeded;

  const report: LoadReport = {
    schema: LOAD_REPORT_SCHEMA,
    generator_version: version,
    started_at: startedAt.toISOString(),
    finished_at: new Date(startedAt.getTime() + end).toISOString(),
    elapsed_ms: Math.round(end),
    stop_reason: stop.signal.aborted ? 'aborted' : 'completed',
    merged_runs: 1,
    config: {
      server: options.server.href,
      tool: options.tool,
      args: options.args,
      model: options.rate === null ? 'closed' : 'open',
      concurrency: options.concurrency,
      rate: options.rate,
      duration_ms: options.durationMs,
      requests: options.requests,
      ramp_ms: options.rampMs,
      warmup_ms: options.warmupMs,
      timeout_ms: options.timeoutMs,
      sessions: options.sessions,
      health_url: options.healthUrl?.href ?? null,
      health_interval_ms: options.healthIntervalMs,
      orchestrator_down: options.orchestratorDown,
      chaos_url: options.chaosUrl,
      expectations: describeExpectations(options.expectations),
      protocol_version: clients[0]?.protocolVersion ?? '',
      server_info: clients[0]?.serverInfo ?? null,
    },
    totals: {
      calls: recorder.calls,
      succeeded: recorder.succeeded,
      failed,
      error_rate: recorder.calls === 0 ? 0 : failed / recorder.calls,
      throughput_rps: Math.round((recorder.calls / (measuredMs / 1000)) * 10) / 10,
      warmup_calls: recorder.warmupCalls,
      late: recorder.late,
      dropped: recorder.dropped,
      cancelled_at_end: recorder.cancelled,
      measured_ms: Math.round(measuredMs),
    },
    latency: distributionOf(recorder.all),
    outcomes: recorder.outcomeStats(),
    series: recorder.series,
    circuit: {
      health_url: options.healthUrl?.href ?? null,
      polls: circuit.polls,
      poll_errors: circuit.pollErrors,
      upstreams: circuit.upstreams,
      first_open_ms: recorder.firstOpenMs === null ? null : Math.round(recorder.firstOpenMs),
      first_open_source: recorder.firstOpenSource,
      calls_after_open: recorder.callsAfterOpen,
      fast_fails_after_open: recorder.fastFailsAfterOpen,
      fast_fail: recorder.fastFailDistribution(),
    },
    generator,
    expectations: [],
    passed: true,
    warnings: warningsFor(options, recorder, generator.cpu_percent, generator.saturated, circuit.warning, stop.signal.aborted),
  };
  report.expectations = evaluateExpectations(report, options.expectations);
  report.passed = report.expectations.every((expectation) => expectation.passed);
  return report;
}

function isPastEnd(options: ResolvedLoadOptions, now: number): boolean {
  return options.durationMs !== null && now >= options.warmupMs + options.durationMs;
}

/** What both load models work with; `inFlight` is also read by progress, the recorder and the open model's cap. */
interface ModelRun {
  options: ResolvedLoadOptions;
  clients: McpClient[];
  recorder: LoadRecorder;
  elapsed: () => number;
  signal: AbortSignal;
  inFlight: { count: number };
}

/** Workers call back to back; `requests` counts measured calls, warmup calls come on top. */
async function closedModel(run: ModelRun): Promise<void> {
  const { options, clients, recorder, elapsed, signal, inFlight } = run;
  let measuredIssued = 0;
  const takeTicket = (now: number): boolean => {
    if (signal.aborted) return false;
    if (now < options.warmupMs) return true;
    if (options.requests !== null) return measuredIssued++ < options.requests;
    return !isPastEnd(options, now);
  };
  const callOptions = { timeoutMs: options.timeoutMs };
  const worker = async (index: number): Promise<void> => {
    if (options.rampMs > 0) await sleep((index * options.rampMs) / options.concurrency, signal);
    const client = clients[index % clients.length] as McpClient;
    for (;;) {
      const start = elapsed();
      if (!takeTicket(start)) return;
      inFlight.count++;
      try {
        const outcome = await client.callTool(options.tool, options.args, callOptions);
        inFlight.count--;
        recorder.record(outcome, start, start, elapsed());
      } catch {
        inFlight.count--;
        recorder.cancelled++;
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, index) => worker(index)));
}

/**
 * Calls are due at fixed intended times (rising linearly during the ramp). A due call waits only for
 * a free slot under `concurrency` (counted late); its latency runs from its intended time. Calls
 * still waiting when the duration ends are dropped.
 */
function openModel(run: ModelRun): Promise<void> {
  const { options, clients, recorder, elapsed, signal, inFlight } = run;
  const { intendedAt, countBefore } = openSchedule(options.rate as number, options.rampMs);
  const endAt = options.durationMs === null ? Infinity : options.warmupMs + options.durationMs;
  const limit = options.requests === null ? Infinity : countBefore(options.warmupMs) + options.requests;
  const callOptions = { timeoutMs: options.timeoutMs };

  return new Promise<void>((resolve) => {
    let next = 0;
    let blockedThrough = -1;
    let schedulingDone = false;
    let timer: NodeJS.Timeout | undefined;
    let timerDue = Infinity;

    const finishIfDone = (): void => {
      if ((schedulingDone || signal.aborted) && inFlight.count === 0) {
        clearTimeout(timer);
        resolve();
      }
    };
    const launch = (k: number, due: number, start: number): void => {
      inFlight.count++;
      const client = clients[k % clients.length] as McpClient;
      client.callTool(options.tool, options.args, callOptions).then(
        (outcome) => {
          inFlight.count--;
          recorder.record(outcome, due, start, elapsed());
          pump();
        },
        () => {
          inFlight.count--;
          recorder.cancelled++;
          finishIfDone();
        },
      );
    };
    const pump = (): void => {
      if (schedulingDone || signal.aborted) return finishIfDone();
      const now = elapsed();
      while (next < limit) {
        if (now >= endAt) break;
        const due = intendedAt(next);
        if (due >= endAt) break;
        if (due > now) {
          if (timerDue > due) {
            clearTimeout(timer);
            timerDue = due;
            timer = setTimeout(() => {
              timerDue = Infinity;
              pump();
            }, due - now);
          }
          return;
        }
        if (inFlight.count >= options.concurrency) {
          blockedThrough = next;
          return;
        }
        const k = next++;
        if (k <= blockedThrough) recorder.noteLate(now);
        launch(k, due, now);
      }
      schedulingDone = true;
      clearTimeout(timer);
      if (endAt !== Infinity) recorder.dropped = Math.max(0, Math.min(limit, countBefore(endAt)) - next);
      finishIfDone();
    };
    signal.addEventListener('abort', () => finishIfDone(), { once: true });
    pump();
  });
}

function warningsFor(
  options: ResolvedLoadOptions,
  recorder: LoadRecorder,
  cpuPercent: number,
  saturated: boolean,
  circuitWarning: string | null,
  aborted: boolean,
): string[] {
  const warnings: string[] = [];
  if (saturated) {
    warnings.push(
      `the load generator used ${cpuPercent}% of a CPU core (over ${SATURATION_PERCENT}%): these figures describe the generator as much as the server; lower --concurrency or --rate, or run the generator on another machine`,
    );
  }
  if (circuitWarning) warnings.push(circuitWarning);
  if (recorder.late > 0) warnings.push(`${recorder.late} calls were sent late because all ${options.concurrency} --concurrency slots were busy (their latency counts the wait)`);
  if (recorder.dropped > 0) warnings.push(`${recorder.dropped} calls due before the end were never sent: raise --concurrency to sustain --rate ${options.rate}`);
  if (aborted) warnings.push(`stopped early; ${recorder.cancelled} calls in flight were cancelled and not counted`);
  if (recorder.calls === 0) warnings.push(`no calls were measured${options.warmupMs > 0 ? ` after the ${formatDuration(options.warmupMs)} warmup` : ''}`);
  return warnings;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
