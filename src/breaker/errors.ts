/**
 * The error vocabulary shared by the guard, the server, the client, the load tester and the reports.
 * The names are the load test plan's (`orchestrator_error`, `circuit_breaker_error`); each error
 * serialises to a plain JSON object with `toJSON()`, which is what travels in `structuredContent`.
 */
export type CircuitState = 'closed' | 'open' | 'half_open';

export type ErrorType = 'orchestrator_error' | 'circuit_breaker_error' | 'overloaded' | 'invalid_arguments';

export type OrchestratorReason =
  | 'timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'http_status'
  | 'invalid_response';

export const ORCHESTRATOR_REASONS: readonly OrchestratorReason[] = [
  'timeout',
  'connection_refused',
  'connection_reset',
  'http_status',
  'invalid_response',
];

export interface CircuitSummary {
  state: CircuitState;
  fail_counter: number;
}

/** The plain-JSON form of every Shield error. */
export interface ShieldErrorJSON {
  type: ErrorType;
  message: string;
  reason?: OrchestratorReason;
  upstream?: string;
  /** HTTP status from the upstream, for reason `http_status`. */
  status?: number;
  /** Set on the call whose failure opened the circuit. */
  tripped_circuit?: boolean;
  circuit?: CircuitSummary;
  retry_after_ms?: number;
}

export abstract class ShieldError extends Error {
  abstract readonly type: ErrorType;
  upstream: string | undefined;
  circuit: CircuitSummary | undefined;

  constructor(message: string, options?: { upstream?: string; circuit?: CircuitSummary; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.upstream = options?.upstream;
    this.circuit = options?.circuit;
  }

  toJSON(): ShieldErrorJSON {
    const json: ShieldErrorJSON = { type: this.type, message: this.message };
    if (this.upstream !== undefined) json.upstream = this.upstream;
    if (this.circuit !== undefined) json.circuit = { state: this.circuit.state, fail_counter: this.circuit.fail_counter };
    return json;
  }
}

/** The upstream failed: a failure that counts against the circuit (unless excluded). */
export class OrchestratorError extends ShieldError {
  readonly type = 'orchestrator_error';
  override name = 'OrchestratorError';
  readonly reason: OrchestratorReason;
  readonly status: number | undefined;
  /** True on the call whose failure opened the circuit; that call still gets its own upstream error. */
  trippedCircuit = false;

  constructor(
    reason: OrchestratorReason,
    message: string,
    options?: { upstream?: string; status?: number; circuit?: CircuitSummary; cause?: unknown },
  ) {
    super(message, options);
    this.reason = reason;
    this.status = options?.status;
  }

  override toJSON(): ShieldErrorJSON {
    const json = super.toJSON();
    json.reason = this.reason;
    if (this.status !== undefined) json.status = this.status;
    if (this.trippedCircuit) json.tripped_circuit = true;
    return json;
  }
}

/** The circuit is open (or half-open with its trial slots taken): failed fast, upstream not called. */
export class CircuitBreakerError extends ShieldError {
  readonly type = 'circuit_breaker_error';
  override name = 'CircuitBreakerError';
  readonly retryAfterMs: number;

  constructor(circuitName: string, circuit: CircuitSummary, retryAfterMs: number) {
    super(describeRejection(circuitName, circuit, retryAfterMs), { upstream: circuitName, circuit });
    this.retryAfterMs = retryAfterMs;
  }

  /**
   * The same error built without running Error's constructor, for the fast-fail path: an open
   * circuit may reject many thousands of calls a second, and constructing a native Error costs about
   * 0.5 µs even without a stack trace, most of a rejection's budget. Callers cannot tell the
   * difference (same class, same own fields, message, toJSON); `message` is composed when first read
   * and `stack` is the summary line, which is all a fast-fail stack would say anyway.
   */
  static failFast(circuitName: string, circuit: CircuitSummary, retryAfterMs: number): CircuitBreakerError {
    const error = Object.create(fastRejectionPrototype) as Mutable<CircuitBreakerError>;
    error.upstream = circuitName;
    error.circuit = circuit;
    error.type = 'circuit_breaker_error';
    error.name = 'CircuitBreakerError';
    error.retryAfterMs = retryAfterMs;
    return error;
  }

  override toJSON(): ShieldErrorJSON {
    // Built in place, not spread: this runs once per fast-fail.
    const json = super.toJSON();
    json.retry_after_ms = Math.max(0, Math.ceil(this.retryAfterMs));
    return json;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Computes `message` and `stack` when read; an assignment makes them plain own properties again. */
function lazyProperty(key: 'message' | 'stack', compute: (error: CircuitBreakerError) => string): PropertyDescriptor {
  return {
    configurable: true,
    get(this: CircuitBreakerError) {
      return compute(this);
    },
    set(this: CircuitBreakerError, value: unknown) {
      Object.defineProperty(this, key, { value, writable: true, configurable: true });
    },
  };
}

const fastRejectionPrototype: object = Object.create(CircuitBreakerError.prototype, {
  message: lazyProperty('message', (error) => describeRejection(error.upstream ?? '', error.circuit as CircuitSummary, error.retryAfterMs)),
  stack: lazyProperty('stack', (error) => `CircuitBreakerError: ${error.message}`),
});

function describeRejection(circuitName: string, circuit: CircuitSummary, retryAfterMs: number): string {
  const wait = retryAfterMs > 0 ? `; retry in ${Math.ceil(retryAfterMs)} ms` : '; a trial call is in progress';
  return `circuit breaker '${circuitName}' is ${circuit.state.replace('_', '-')}${wait}`;
}

/** The bulkhead is full: rejected at once. Never counts as an upstream failure. */
export class OverloadedError extends ShieldError {
  readonly type = 'overloaded';
  override name = 'OverloadedError';
}

/** The call's arguments are invalid: never reaches the upstream, never counts against the circuit. */
export class InvalidArgumentsError extends ShieldError {
  readonly type = 'invalid_arguments';
  override name = 'InvalidArgumentsError';
}

export function isShieldError(error: unknown): error is ShieldError {
  return error instanceof ShieldError;
}
