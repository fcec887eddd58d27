/** Exit codes shared by every command (documented in the README). */
export const EXIT = {
  ok: 0,
  /** An expectation, threshold, scenario or tool call failed. */
  failed: 1,
  /** Usage or configuration error. */
  usage: 2,
  /** The target (server, control API, upstream) could not be reached. */
  unreachable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A user error: printed as one line, no stack, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The target could not be reached: printed as one line, exit 3. */
export class UnreachableError extends Error {
  override name = 'UnreachableError';
}
