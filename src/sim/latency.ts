/**
 * The simulator's response latency: fixed (`50ms`) or uniform over a range (`20ms..200ms`), drawn
 * from the seeded PRNG so a run is reproducible.
 */
import { DURATION_HINT, parseDuration } from '../common/duration.js';
import type { Random } from './prng.js';

export interface Latency {
  minMs: number;
  maxMs: number;
}

export const NO_LATENCY: Latency = { minMs: 0, maxMs: 0 };

export const LATENCY_HINT = `${DURATION_HINT}, or a range like 20ms..200ms`;

/** Parses `D` or `D..D`; returns undefined when the text is neither or the range runs backwards. */
export function parseLatency(text: string): Latency | undefined {
  const [low, high, extra] = text.split('..');
  if (low === undefined || extra !== undefined) return undefined;
  const minMs = parseDuration(low);
  const maxMs = high === undefined ? minMs : parseDuration(high);
  if (minMs === undefined || maxMs === undefined || maxMs < minMs) return undefined;
  return { minMs, maxMs };
}

export function formatLatency(latency: Latency): string {
  return latency.minMs === latency.maxMs ? `${latency.minMs}ms` : `${latency.minMs}ms..${latency.maxMs}ms`;
}

/** Draws one latency in milliseconds. */
export function sampleLatency(latency: Latency, random: Random): number {
  if (latency.maxMs === latency.minMs) return latency.minMs;
  return latency.minMs + random() * (latency.maxMs - latency.minMs);
}
