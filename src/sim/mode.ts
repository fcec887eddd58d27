/**
 * The fault modes, as the control API takes them (`PUT /control` with exactly this object) and as
 * `startSim`/`startChaosProxy` handles' `setMode` takes them. `up` is accepted as another name for
 * `healthy` (it reopens the data port after `down`), and is stored as `healthy`.
 */
import { z } from 'zod';
import { FAULT_KINDS, MODE_NAMES } from './mode-names.js';

export { FAULT_KINDS, MODE_NAMES };
export type { FaultKind, ModeName } from './mode-names.js';

/** An hour: longer delays are a typo, not a test. */
const MAX_DELAY_MS = 3_600_000;
const delayMs = z.number().min(0).max(MAX_DELAY_MS);
const errorStatus = z.number().int().min(400).max(599);

const flaky = z
  .strictObject({
    mode: z.literal('flaky'),
    rate: z.number().min(0).max(1),
    fault: z.enum(FAULT_KINDS).default('error'),
    /** For fault `error`. */
    status: errorStatus.default(500),
    /** For fault `slow`: required then. */
    delay_ms: delayMs.optional(),
    seed: z.number().int().default(1),
    /** `request`: each request draws; `connection`: each new connection draws, and all its requests share the result. */
    per: z.enum(['request', 'connection']).default('request'),
  })
  .refine((mode) => mode.fault !== 'slow' || mode.delay_ms !== undefined, {
    path: ['delay_ms'],
    message: 'delay_ms is required when fault is slow',
  });

export const modeSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('healthy') }),
  z.strictObject({ mode: z.literal('up') }),
  z.strictObject({ mode: z.literal('down') }),
  z.strictObject({ mode: z.literal('hang') }),
  z.strictObject({ mode: z.literal('slow'), delay_ms: delayMs }),
  z.strictObject({ mode: z.literal('error'), status: errorStatus.default(500) }),
  z.strictObject({ mode: z.literal('reset') }),
  z.strictObject({ mode: z.literal('garbage') }),
  flaky,
]);

/** What callers pass (defaults may be left out). */
export type ModeInput = z.input<typeof modeSchema>;
/** A mode as stored and reported: defaults filled in, `up` turned into `healthy`. */
export type Mode = Exclude<z.output<typeof modeSchema>, { mode: 'up' }>;

export type ModeResult = { ok: true; mode: Mode } | { ok: false; reason: string };

/** Validates a mode object; the reason names the field and what was expected. */
export function parseMode(input: unknown): ModeResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, reason: 'expected a JSON object like {"mode":"down"}' };
  }
  const name = (input as { mode?: unknown }).mode;
  if (name === undefined) return { ok: false, reason: `mode: required; expected one of ${MODE_NAMES.join(', ')}` };
  if (typeof name !== 'string' || !(MODE_NAMES as readonly string[]).includes(name)) {
    return { ok: false, reason: `mode: unknown mode ${JSON.stringify(name)}; expected one of ${MODE_NAMES.join(', ')}` };
  }
  const parsed = modeSchema.safeParse(input);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : `mode ${name}`}: ${issue.message}`)
      .join('; ');
    return { ok: false, reason };
  }
  return { ok: true, mode: parsed.data.mode === 'up' ? { mode: 'healthy' } : parsed.data };
}

/** Like parseMode, for in-process callers: throws a TypeError with the reason. */
export function toMode(input: ModeInput | Mode): Mode {
  const result = parseMode(input);
  if (!result.ok) throw new TypeError(`invalid chaos mode: ${result.reason}`);
  return result.mode;
}
