/** `shield verify`: the load test plan, run end to end. */
export { runVerify } from './run.js';
export type { VerifyOptions } from './run.js';
export { DEFAULT_FLAKY_SEED, DEFAULT_TIME_SCALE, PLAN, SCENARIO_IDS, scaledSettings } from './plan.js';
export type { GuardUnderTest } from './environment.js';
