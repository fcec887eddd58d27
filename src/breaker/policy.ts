/** Fills in a breaker policy's defaults (PyBreaker's) and rejects values that cannot work, naming the field. */
import type { BreakerPolicy } from './types.js';

export const DEFAULT_POLICY: Readonly<BreakerPolicy> = {
  failMax: 5,
  resetTimeoutMs: 60_000,
  halfOpenMaxCalls: 1,
  successThreshold: 1,
};

function requireCount(field: string, value: number, allowInfinity = false): void {
  if (allowInfinity && value === Infinity) return;
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`breaker.${field} must be a whole number >= 1${allowInfinity ? ' (or Infinity)' : ''}, got ${value}`);
  }
}

function requireMs(field: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`breaker.${field} must be a positive number of milliseconds, got ${value}`);
}

export function resolvePolicy(partial: Partial<BreakerPolicy> = {}): BreakerPolicy {
  const policy: BreakerPolicy = { ...DEFAULT_POLICY, ...stripUndefined(partial) };
  requireCount('failMax', policy.failMax, true);
  requireMs('resetTimeoutMs', policy.resetTimeoutMs);
  requireCount('halfOpenMaxCalls', policy.halfOpenMaxCalls);
  requireCount('successThreshold', policy.successThreshold);
  if (policy.exclude !== undefined && typeof policy.exclude !== 'function') {
    throw new TypeError('breaker.exclude must be a function (error) => boolean');
  }
  const rate = policy.failureRate;
  if (rate) {
    if (!(rate.threshold > 0 && rate.threshold <= 1)) {
      throw new RangeError(`breaker.failureRate.threshold must be a fraction in (0, 1], got ${rate.threshold}`);
    }
    requireCount('failureRate.window', rate.window);
    const minCalls = rate.minCalls ?? rate.window;
    requireCount('failureRate.minCalls', minCalls);
    if (minCalls > rate.window) {
      throw new RangeError(`breaker.failureRate.minCalls (${minCalls}) must not exceed breaker.failureRate.window (${rate.window})`);
    }
    policy.failureRate = { threshold: rate.threshold, window: rate.window, minCalls };
  }
  const backoff = policy.backoff;
  if (backoff) {
    if (!(Number.isFinite(backoff.multiplier) && backoff.multiplier >= 1)) {
      throw new RangeError(`breaker.backoff.multiplier must be a number >= 1, got ${backoff.multiplier}`);
    }
    requireMs('backoff.maxResetTimeoutMs', backoff.maxResetTimeoutMs);
  }
  return policy;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
