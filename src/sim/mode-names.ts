/** The names of the modes and faults, apart from their schema so `shield --help` does not load zod. */
export const FAULT_KINDS = ['hang', 'slow', 'error', 'reset', 'garbage'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const MODE_NAMES = ['healthy', 'up', 'down', 'hang', 'slow', 'error', 'reset', 'garbage', 'flaky'] as const;
export type ModeName = (typeof MODE_NAMES)[number];
