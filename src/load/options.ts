/**
 * The options of a load run (`runLoad()`), mirroring `shield load`'s flags, and their validation:
 * every problem is a UsageError naming the flag.
 */
import { UsageError } from '../cli/exit-codes.js';
import type { ProtocolChoice } from '../client/mcp-client.js';
import { healthUrlFor, parseServerUrl, SERVER_URL_HINT } from '../client/server-url.js';
import type { OutcomeClass, SessionMode } from '../report/load-report.js';
import { parseThreshold, type ExpectationSpec } from './expectations.js';

export interface LoadProgress {
  elapsedMs: number;
  phase: 'warmup' | 'measure' | 'drain';
  /** Measured calls completed so far. */
  calls: number;
  failures: number;
  /** Completions per second over the last progress interval. */
  rate: number;
  /** p95 of measured calls so far, µs (0 before the first). */
  p95Us: number;
  inFlight: number;
  circuit: Record<string, string>;
  cpuPercent: number;
}

/** One finished call, for callers that chart individual calls (`shield verify`). */
export interface CallRecord {
  /** Milliseconds from the run's start to the call's start (its intended start in the open model). */
  t_ms: number;
  /** Integer microseconds, as recorded in the histograms. */
  latency_us: number;
  outcome: OutcomeClass;
  /** For `orchestrator_error`: the reason. */
  reason?: string;
  /** Started during warmup: not in the statistics. */
  warmup: boolean;
}

export interface LoadOptions {
  /** `host:port` (meaning `http://host:port/mcp`) or a full URL. */
  server: string | URL;
  tool: string;
  args?: Record<string, unknown>;
  /** Closed model: workers; open model: the cap on calls in flight. Default 10. */
  concurrency?: number;
  /** Run length after warmup; default 10 s unless `requests` is given. */
  durationMs?: number;
  /** Measured calls to make (instead of a duration). */
  requests?: number;
  /** Open model: intended calls per second, each timed from its intended start. */
  rate?: number;
  /** Closed model: workers start spread over this time; open model: the rate rises linearly over it. */
  rampMs?: number;
  /** Calls that start within this time are made but not measured. */
  warmupMs?: number;
  /** Per-call deadline (default 60 s); an expired call is a `client_timeout`. */
  timeoutMs?: number;
  /** One MCP session for all workers (default) or one per worker. */
  sessions?: SessionMode;
  /** Poll `/health` this often (default 250 ms); 0 turns the circuit timeline off. */
  healthIntervalMs?: number;
  expectSuccess?: boolean;
  expectCircuitOpen?: boolean;
  /** `--threshold` expressions, e.g. `p95<5s`. */
  thresholds?: string[];
  /** Put the orchestrator down through `chaosUrl` before the run and back up after it. */
  orchestratorDown?: boolean;
  chaosUrl?: string;
  token?: string;
  headers?: Record<string, string>;
  protocol?: ProtocolChoice;
  /** Stops the run early; the report is still produced (`stop_reason: 'aborted'`). */
  signal?: AbortSignal;
  onProgress?: (progress: LoadProgress) => void;
  /** Called for every finished call; keep it cheap, it runs on the hot path. */
  onCall?: (call: CallRecord) => void;
  /** Default 1000 ms. */
  progressIntervalMs?: number;
}

export interface ResolvedLoadOptions {
  server: URL;
  tool: string;
  args: Record<string, unknown>;
  concurrency: number;
  durationMs: number | null;
  requests: number | null;
  rate: number | null;
  rampMs: number;
  warmupMs: number;
  timeoutMs: number;
  sessions: SessionMode;
  healthIntervalMs: number;
  healthUrl: URL | null;
  expectations: ExpectationSpec;
  orchestratorDown: boolean;
  chaosUrl: string | null;
  token: string | undefined;
  headers: Record<string, string>;
  protocol: ProtocolChoice;
  progressIntervalMs: number;
}

export const DEFAULT_DURATION_MS = 10_000;
export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_HEALTH_INTERVAL_MS = 250;

function positiveInteger(value: number | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`${flag} ${value}: expected a positive integer`);
  return value;
}

function nonNegative(value: number | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new UsageError(`${flag} ${value}: expected a duration of 0 or more`);
  return value;
}

function resolveUrl(value: string | URL, flag: string): URL {
  if (value instanceof URL) return value;
  const url = parseServerUrl(value);
  if (!url) throw new UsageError(`${flag} '${value}': expected ${SERVER_URL_HINT}`);
  return url;
}

export function resolveLoadOptions(options: LoadOptions): ResolvedLoadOptions {
  if (options.durationMs !== undefined && options.requests !== undefined) {
    throw new UsageError('--duration and --requests cannot be used together: a run is either timed or counted');
  }
  if (options.expectSuccess && options.expectCircuitOpen) {
    throw new UsageError('--expect-success and --expect-circuit-open contradict each other: choose one');
  }
  if (!options.tool) throw new UsageError('--tool is required');
  if (options.args !== undefined && (typeof options.args !== 'object' || options.args === null || Array.isArray(options.args))) {
    throw new UsageError('--args: expected a JSON object, like \'{"query": "test", "mode": "hybrid"}\'');
  }
  if (options.orchestratorDown && !options.chaosUrl) {
    throw new UsageError('--orchestrator-down needs --chaos URL (the chaos control API of shield sim or shield chaos-proxy); without it, take the orchestrator down yourself and leave the flag off');
  }
  if (options.rate !== undefined && !(Number.isFinite(options.rate) && options.rate > 0)) {
    throw new UsageError(`--rate ${options.rate}: expected calls per second, a positive number`);
  }
  const durationMs = options.requests === undefined ? nonNegative(options.durationMs, '--duration', DEFAULT_DURATION_MS) : null;
  if (durationMs === 0) throw new UsageError('--duration 0: expected a positive duration');
  const server = resolveUrl(options.server, '--server');
  const healthIntervalMs = nonNegative(options.healthIntervalMs, '--health-interval', DEFAULT_HEALTH_INTERVAL_MS);
  return {
    server,
    tool: options.tool,
    args: options.args ?? {},
    concurrency: positiveInteger(options.concurrency, '--concurrency', 10),
    durationMs,
    requests: options.requests === undefined ? null : positiveInteger(options.requests, '--requests', 1),
    rate: options.rate ?? null,
    rampMs: nonNegative(options.rampMs, '--ramp', 0),
    warmupMs: nonNegative(options.warmupMs, '--warmup', 0),
    timeoutMs: nonNegative(options.timeoutMs, '--timeout', DEFAULT_TIMEOUT_MS),
    sessions: options.sessions ?? 'shared',
    healthIntervalMs,
    healthUrl: healthIntervalMs === 0 ? null : healthUrlFor(server),
    expectations: {
      expectSuccess: options.expectSuccess ?? false,
      expectCircuitOpen: options.expectCircuitOpen ?? false,
      thresholds: (options.thresholds ?? []).map(parseThreshold),
    },
    orchestratorDown: options.orchestratorDown ?? false,
    chaosUrl: options.chaosUrl ?? null,
    token: options.token,
    headers: options.headers ?? {},
    protocol: options.protocol ?? 'auto',
    progressIntervalMs: positiveInteger(options.progressIntervalMs, 'progressIntervalMs', 1000),
  };
}
