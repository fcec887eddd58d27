/**
 * Mode objects from command-line words, as `shield chaos` and `shield sim --mode` take them:
 * `down`, `slow 30s`, `error 503`, `flaky 0.5` (+ `--fault`, `--seed`, `--per`, `--status`, `--delay`).
 * Every mistake is a UsageError naming the word or flag and what was expected.
 */
import { UsageError } from '../cli/exit-codes.js';
import { DURATION_HINT, parseDuration } from '../common/duration.js';
import { FAULT_KINDS, MODE_NAMES, parseMode } from './mode.js';
import type { Mode } from './mode.js';

export interface FlakyFlags {
  fault?: string;
  seed?: number;
  per?: string;
  status?: number;
  /** Milliseconds, for `--fault slow`. */
  delay?: number;
}

const PER_VALUES = ['request', 'connection'];

function parseStatus(text: string, where: string): number {
  const status = Number(text);
  if (!/^\d+$/.test(text) || status < 400 || status > 599) {
    throw new UsageError(`${where}: '${text}' is not an HTTP error status; expected a number from 400 to 599`);
  }
  return status;
}

function parseRate(text: string): number {
  const percent = text.endsWith('%');
  const value = Number(percent ? text.slice(0, -1) : text);
  const rate = percent ? value / 100 : value;
  if (text === '' || !Number.isFinite(rate)) {
    throw new UsageError(`mode flaky: rate '${text}' is not a number; expected a fraction from 0 to 1, like 0.5 or 50%`);
  }
  if (rate < 0 || rate > 1) throw new UsageError(`mode flaky: rate '${text}' is outside 0..1; expected e.g. 0.5 or 50%`);
  return rate;
}

function build(name: string, value: string | undefined, flags: FlakyFlags): unknown {
  const noValue = () => {
    if (value !== undefined) throw new UsageError(`mode ${name} takes no value (got '${value}')`);
  };
  switch (name) {
    case 'healthy':
    case 'up':
    case 'down':
    case 'hang':
    case 'reset':
    case 'garbage':
      noValue();
      return { mode: name };
    case 'slow': {
      if (value === undefined) throw new UsageError(`mode slow needs a delay, e.g. 'slow 30s'; expected ${DURATION_HINT}`);
      const delay = parseDuration(value);
      if (delay === undefined) throw new UsageError(`mode slow: '${value}' is not a duration; expected ${DURATION_HINT}`);
      return { mode: 'slow', delay_ms: delay };
    }
    case 'error':
      return value === undefined ? { mode: 'error' } : { mode: 'error', status: parseStatus(value, 'mode error') };
    case 'flaky': {
      if (value === undefined) throw new UsageError(`mode flaky needs a rate, e.g. 'flaky 0.5'`);
      const fault = flags.fault ?? 'error';
      if (!(FAULT_KINDS as readonly string[]).includes(fault)) {
        throw new UsageError(`--fault: unknown fault '${fault}'; expected one of ${FAULT_KINDS.join(', ')}`);
      }
      if (flags.per !== undefined && !PER_VALUES.includes(flags.per)) {
        throw new UsageError(`--per: '${flags.per}' is not one of ${PER_VALUES.join(', ')}`);
      }
      if (fault === 'slow' && flags.delay === undefined) throw new UsageError('--fault slow needs --delay, e.g. --delay 30s');
      return {
        mode: 'flaky',
        rate: parseRate(value),
        fault,
        ...(flags.seed === undefined ? {} : { seed: flags.seed }),
        ...(flags.per === undefined ? {} : { per: flags.per }),
        ...(flags.status === undefined ? {} : { status: flags.status }),
        ...(flags.delay === undefined ? {} : { delay_ms: flags.delay }),
      };
    }
    default:
      throw new UsageError(`unknown mode '${name}'; expected one of ${MODE_NAMES.join(', ')}`);
  }
}

/** Builds and validates the mode `shield chaos <name> [value]` asks for. */
export function modeFromWords(name: string, value: string | undefined, flags: FlakyFlags = {}): Mode {
  if (name !== 'flaky') {
    const misplaced = (['fault', 'per', 'status', 'delay'] as const).find((flag) => flags[flag] !== undefined);
    if (misplaced !== undefined) throw new UsageError(`--${misplaced} only applies to mode flaky`);
  }
  const result = parseMode(build(name, value, flags));
  if (!result.ok) throw new UsageError(`mode ${name}: ${result.reason}`);
  return result.mode;
}

/**
 * A mode as `shield sim --mode` takes it: the words `shield chaos` takes (`'slow 30s'`,
 * `'flaky 0.5'`) or the control API's JSON object.
 */
export function modeFromSpec(spec: string, flags: FlakyFlags = {}): Mode {
  const text = spec.trim();
  if (text.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`--mode: invalid JSON (${(error as Error).message})`);
    }
    const result = parseMode(json);
    if (!result.ok) throw new UsageError(`--mode: ${result.reason}`);
    return result.mode;
  }
  const [name = '', value, extra] = text.split(/\s+/);
  if (extra !== undefined) throw new UsageError(`--mode: '${spec}' has too many words; expected e.g. 'slow 30s'`);
  return modeFromWords(name, value, flags);
}
