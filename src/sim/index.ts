/** Taking the orchestrator down on demand: the simulator, the chaos proxy and their control client. */
export { startSim } from './sim.js';
export type { SimOptions } from './sim.js';
export { startChaosProxy } from './chaos-proxy.js';
export type { ChaosProxyOptions } from './chaos-proxy.js';
export type { ChaosHandle } from './chaos-handle.js';
export type { ChaosStatus } from './control-server.js';
export type { Counters, FaultCounterKind } from './chaos-state.js';
export { createChaosControl, DEFAULT_CONTROL_URL } from './control-client.js';
export type { ChaosControl } from './control-client.js';
export { FAULT_KINDS, MODE_NAMES, modeSchema, parseMode } from './mode.js';
export type { FaultKind, Mode, ModeInput, ModeName } from './mode.js';
export { formatLatency, parseLatency } from './latency.js';
export type { Latency } from './latency.js';
