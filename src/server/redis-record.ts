/**
 * How a breaker record travels through Redis: JSON, validated on the way in, because the key may hold
 * anything (an older Shield, a hand edit). A value that does not parse is treated as absent.
 */
import type { BreakerRecord } from '../breaker/types.js';

const STATES = new Set(['closed', 'open', 'half_open']);

export function encodeRecord(record: BreakerRecord): string {
  return JSON.stringify(record);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

export function decodeRecord(text: string | null | undefined): BreakerRecord | undefined {
  if (typeof text !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const valid =
    isCount(r.version) &&
    typeof r.state === 'string' &&
    STATES.has(r.state) &&
    isCount(r.failCounter) &&
    (r.openedAt === null || (typeof r.openedAt === 'number' && Number.isFinite(r.openedAt))) &&
    isCount(r.trips) &&
    Array.isArray(r.trialLeases) &&
    r.trialLeases.every((lease) => typeof lease === 'number' && Number.isFinite(lease)) &&
    isCount(r.trialSuccesses) &&
    (r.forced === null || r.forced === 'open' || r.forced === 'closed');
  if (!valid) return undefined;
  return {
    version: r.version as number,
    state: r.state as BreakerRecord['state'],
    failCounter: r.failCounter as number,
    openedAt: r.openedAt as number | null,
    trips: r.trips as number,
    trialLeases: [...(r.trialLeases as number[])],
    trialSuccesses: r.trialSuccesses as number,
    forced: r.forced as BreakerRecord['forced'],
  };
}

/** Same content, version included: a re-delivered record is not a change. */
export function sameRecord(a: BreakerRecord, b: BreakerRecord): boolean {
  return (
    a.version === b.version &&
    a.state === b.state &&
    a.failCounter === b.failCounter &&
    a.openedAt === b.openedAt &&
    a.trips === b.trips &&
    a.trialSuccesses === b.trialSuccesses &&
    a.forced === b.forced &&
    a.trialLeases.length === b.trialLeases.length &&
    a.trialLeases.every((lease, i) => lease === b.trialLeases[i])
  );
}
