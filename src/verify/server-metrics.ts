/**
 * Reads a Shield server's `/metrics` (Prometheus text) for the figures the plan asks about: the
 * server-side latency of fast-fails, the circuit's transitions, and the process's memory, file
 * descriptors and sockets. Works the same against the embedded server and a deployment.
 */
import { request } from 'undici';
import { UnreachableError } from '../cli/exit-codes.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(LABEL)) labels[label[1]!] = label[2]!.replace(/\\(.)/g, '$1');
    const value = Number(match[3]);
    if (!Number.isNaN(value)) samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

export async function fetchMetrics(origin: string): Promise<Sample[]> {
  let text: string;
  try {
    const response = await request(`${origin}/metrics`, { signal: AbortSignal.timeout(5_000) });
    text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
  } catch (error) {
    throw new UnreachableError(`cannot read ${origin}/metrics: ${(error as Error).message}`);
  }
  return parseMetrics(text);
}

function sum(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number {
  let total = 0;
  for (const sample of samples) {
    if (sample.name !== name) continue;
    if (Object.entries(match).every(([key, value]) => sample.labels[key] === value)) total += sample.value;
  }
  return total;
}

/** Transitions of one upstream's circuit since the server started. */
export function transitionsOf(samples: readonly Sample[], upstream: string): number {
  return sum(samples, 'shield_circuit_breaker_transitions_total', { upstream });
}

/** The server-side latency of some calls, from the histogram's change between two readings. */
export interface ServerSideLatency {
  calls: number;
  /** Calls that finished within the bound asked for. */
  within: number;
  /** Upper bound of the bucket holding the median call, seconds; null when no calls or past the last bucket. */
  medianBoundS: number | null;
  /** Upper bound of the bucket holding the slowest call, seconds; null when no calls or past the last bucket. */
  maxBoundS: number | null;
  /** Total server-side time of the calls, seconds. */
  totalS: number;
}

const HISTOGRAM = 'shield_tool_call_duration_seconds';

/** Server-side latency of the calls with one of `outcomes` made between two readings of `/metrics`. */
export function serverLatency(before: readonly Sample[], after: readonly Sample[], outcomes: readonly string[], boundSeconds: number): ServerSideLatency {
  const delta = (name: string) => outcomes.reduce((total, outcome) => total + sum(after, name, { outcome }) - sum(before, name, { outcome }), 0);
  const calls = delta(`${HISTOGRAM}_count`);
  const buckets = new Map<number, number>();
  for (const [samples, sign] of [[after, 1], [before, -1]] as const) {
    for (const sample of samples) {
      if (sample.name !== `${HISTOGRAM}_bucket` || !outcomes.includes(sample.labels.outcome ?? '')) continue;
      const le = Number(sample.labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + sign * sample.value);
    }
  }
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const boundHolding = (count: number): number | null => {
    const le = bounds.find((b) => (buckets.get(b) ?? 0) >= count);
    return le === undefined || !Number.isFinite(le) ? null : le;
  };
  const widestWithin = bounds.filter((le) => le <= boundSeconds + 1e-12).at(-1);
  return {
    calls,
    within: widestWithin === undefined ? 0 : (buckets.get(widestWithin) ?? 0),
    medianBoundS: calls > 0 ? boundHolding(Math.ceil(calls / 2)) : null,
    maxBoundS: calls > 0 ? boundHolding(calls) : null,
    totalS: delta(`${HISTOGRAM}_sum`),
  };
}

export interface Resources {
  rss_bytes: number;
  open_fds: number;
  /** Sockets the server process holds (prom-client's active handles of type Socket). */
  sockets: number;
  in_flight: number;
  queued: number;
}

export function resourcesOf(samples: readonly Sample[]): Resources {
  return {
    rss_bytes: sum(samples, 'process_resident_memory_bytes'),
    open_fds: sum(samples, 'process_open_fds'),
    sockets: sum(samples, 'nodejs_active_handles', { type: 'Socket' }),
    in_flight: sum(samples, 'shield_upstream_in_flight'),
    queued: sum(samples, 'shield_upstream_queued'),
  };
}
