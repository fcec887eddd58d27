/**
 * Value parsers for commander options. Each throws commander's InvalidArgumentError, so the
 * message names the flag: `error: option '--timeout <duration>' argument 'abc' is invalid. expected ...`.
 */
import { InvalidArgumentError } from 'commander';
import { DURATION_HINT, parseDuration } from '../common/duration.js';
import { parseServerUrl, SERVER_URL_HINT } from '../client/server-url.js';

/** Duration in milliseconds. */
export function durationOption(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError(`expected ${DURATION_HINT}`);
  return ms;
}

export function positiveIntOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function nonNegativeIntOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number, 0 or more');
  return n;
}

export function positiveNumberOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** A fraction 0..1, written `0.5` or `50%`. */
export function fractionOption(value: string): number {
  const percent = value.trim().endsWith('%');
  const n = Number(percent ? value.trim().slice(0, -1) : value);
  const fraction = percent ? n / 100 : n;
  if (value.trim() === '' || !Number.isFinite(fraction) || fraction < 0 || fraction > 1) {
    throw new InvalidArgumentError('expected a fraction from 0 to 1, like 0.5 or 50%');
  }
  return fraction;
}

/** A TCP port, 0 meaning "any free port". */
export function portOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port from 0 to 65535');
  return n;
}

/** JSON text, parsed. */
export function jsonOption(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`expected JSON (${(error as Error).message})`);
  }
}

/** A JSON object, parsed (tool arguments). */
export function jsonObjectOption(value: string): Record<string, unknown> {
  const parsed = jsonOption(value);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError(`expected a JSON object, like '{"query": "test", "mode": "hybrid"}'`);
  }
  return parsed as Record<string, unknown>;
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--server`: the plan's `host:port` (meaning `http://host:port/mcp`) or a full URL. */
export function serverOption(value: string): URL {
  const url = parseServerUrl(value);
  if (!url) throw new InvalidArgumentError(`expected ${SERVER_URL_HINT}`);
  return url;
}
