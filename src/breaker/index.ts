/** shield-mcp/breaker: the resilience core (bulkhead → circuit breaker → timeout), free of I/O. */
export { createGuard } from './guard.js';
export { CircuitBreaker } from './breaker.js';
export type { CircuitBreakerOptions } from './breaker.js';
export { Bulkhead } from './bulkhead.js';
export type { BulkheadOptions } from './bulkhead.js';
export { Timeout } from './timeout.js';
export type { TimeoutOptions } from './timeout.js';
export { MemoryStore, createMemoryStore } from './memory-store.js';
export { GuardEvents } from './events.js';
export type { ListenerErrorHandler } from './events.js';
export { FailureWindow } from './failure-window.js';
export { DEFAULT_POLICY, resolvePolicy } from './policy.js';
export { decideAdmission, effectiveState, initialRecord, resetTimeoutFor, retryAfterMs, ticketIsCurrent, transition } from './machine.js';
export type { Admission, BreakerEvent, Ticket, Transition } from './machine.js';
export { FakeClock, systemClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export * from './errors.js';
export type * from './types.js';
