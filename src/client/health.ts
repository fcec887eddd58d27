/**
 * Reads a server's `/health` (the plan's `curl /health | jq .circuit_breakers.orchestrator`).
 * Shield answers `{status, version, uptime_s, circuit_breakers: {<upstream>: snapshot}}`; other
 * servers may answer anything, so only `circuit_breakers` entries with a known state are kept.
 */
import { Agent, type Dispatcher } from 'undici';
import type { CircuitState } from '../breaker/errors.js';
import type { GuardSnapshot } from '../breaker/types.js';
import { describeNetworkError } from './mcp-client.js';
import { healthUrlFor } from './server-url.js';

export interface HealthSnapshot {
  status: string;
  version?: string;
  uptime_s?: number;
  circuit_breakers: Record<string, GuardSnapshot>;
}

export interface FetchHealthOptions {
  /** Reuse a pool (the load run's); otherwise a short-lived one is made. */
  dispatcher?: Dispatcher;
  timeoutMs?: number;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** `/health` could not be read: `unreachable` (network), `http` (non-2xx), `invalid` (not JSON). */
export class HealthError extends Error {
  override name = 'HealthError';
  constructor(
    readonly kind: 'unreachable' | 'http' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

const STATES: ReadonlySet<string> = new Set<CircuitState>(['closed', 'open', 'half_open']);

/**
 * Fetches `/health` on the same host as `serverUrl` (an MCP endpoint URL or the health URL itself).
 * A 503 with a JSON body is still a health answer: an unhealthy server reports its breakers too.
 */
export async function fetchHealth(serverUrl: URL | string, options: FetchHealthOptions = {}): Promise<HealthSnapshot> {
  const base = typeof serverUrl === 'string' ? new URL(serverUrl) : serverUrl;
  const url = base.pathname === '/health' ? base : healthUrlFor(base);
  const dispatcher = options.dispatcher ?? new Agent({ connections: 1 });
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 5000);
  try {
    let response: Dispatcher.ResponseData;
    try {
      response = await dispatcher.request({
        origin: url.origin,
        path: url.pathname,
        method: 'GET',
        headers: { accept: 'application/json', ...options.headers },
        signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
      });
    } catch (error) {
      const reason = timeout.aborted ? 'no answer in time' : describeNetworkError(error);
      throw new HealthError('unreachable', `cannot reach ${url.href}: ${reason}`);
    }
    const text = await response.body.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      const kind = response.statusCode >= 300 ? 'http' : 'invalid';
      throw new HealthError(kind, `${url.href} answered HTTP ${response.statusCode} with ${text ? `non-JSON: ${text.slice(0, 100)}` : 'an empty body'}`);
    }
    return readHealth(body, url);
  } finally {
    if (!options.dispatcher) await dispatcher.close();
  }
}

function readHealth(body: unknown, url: URL): HealthSnapshot {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HealthError('invalid', `${url.href} answered JSON that is not an object`);
  }
  const { status, version, uptime_s: uptime, circuit_breakers: breakers } = body as Record<string, unknown>;
  const snapshot: HealthSnapshot = { status: typeof status === 'string' ? status : 'unknown', circuit_breakers: {} };
  if (typeof version === 'string') snapshot.version = version;
  if (typeof uptime === 'number') snapshot.uptime_s = uptime;
  if (typeof breakers === 'object' && breakers !== null) {
    for (const [name, value] of Object.entries(breakers)) {
      const state = (value as { state?: unknown } | null)?.state;
      if (typeof state === 'string' && STATES.has(state)) snapshot.circuit_breakers[name] = value as GuardSnapshot;
    }
  }
  return snapshot;
}
