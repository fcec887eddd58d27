/**
 * The state both the simulator and the chaos proxy share: the current mode, the seeded draw for
 * `flaky`, and the counters the control API reports. It decides which fault (if any) a request
 * gets; the servers only carry the decision out.
 */
import type { FaultKind, Mode } from './mode.js';
import { seededRandom } from './prng.js';
import type { Random } from './prng.js';

export type Fault =
  | { kind: 'hang' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'error'; status: number }
  | { kind: 'reset' }
  | { kind: 'garbage' };

/** `down` counts the connections it dropped. */
export type FaultCounterKind = FaultKind | 'down';

export interface Counters {
  /** Requests that reached the data port (a request to a closed port never arrives). */
  requests: number;
  /** Connections accepted on the data port. */
  connections: number;
  /** Faults applied, all kinds together. */
  faults: number;
  faults_by_kind: Record<FaultCounterKind, number>;
}

function emptyCounters(): Counters {
  return {
    requests: 0,
    connections: 0,
    faults: 0,
    faults_by_kind: { hang: 0, slow: 0, error: 0, reset: 0, garbage: 0, down: 0 },
  };
}

function faultOf(mode: Mode): Fault | undefined {
  switch (mode.mode) {
    case 'hang':
    case 'reset':
    case 'garbage':
      return { kind: mode.mode };
    case 'slow':
      return { kind: 'slow', delayMs: mode.delay_ms };
    case 'error':
      return { kind: 'error', status: mode.status };
    case 'flaky':
      switch (mode.fault) {
        case 'slow':
          return { kind: 'slow', delayMs: mode.delay_ms ?? 0 };
        case 'error':
          return { kind: 'error', status: mode.status };
        default:
          return { kind: mode.fault };
      }
    default:
      return undefined;
  }
}

export class ChaosState {
  private current: Mode = { mode: 'healthy' };
  private fault: Fault | undefined;
  private draw: Random = seededRandom(1);
  readonly counters: Counters = emptyCounters();

  get mode(): Mode {
    return this.current;
  }

  /** Switches mode; setting `flaky` restarts its seeded sequence, so the same mode replays the same draws. */
  set(mode: Mode): void {
    this.current = mode;
    this.fault = faultOf(mode);
    if (mode.mode === 'flaky') this.draw = seededRandom(mode.seed);
  }

  /**
   * Called once per accepted connection. Under `flaky` per connection it draws whether this
   * connection is faulty; otherwise it returns undefined (requests decide for themselves).
   */
  acceptConnection(): boolean | undefined {
    this.counters.connections++;
    const mode = this.current;
    if (mode.mode !== 'flaky' || mode.per !== 'connection') return undefined;
    return this.draw() < mode.rate;
  }

  /**
   * Called once per request, in arrival order: returns the fault to apply, or undefined to answer
   * normally. `connectionFaulty` is what acceptConnection returned for the request's connection.
   */
  requestFault(connectionFaulty: boolean | undefined): Fault | undefined {
    this.counters.requests++;
    const mode = this.current;
    let fault = this.fault;
    if (mode.mode === 'flaky') {
      const faulty = mode.per === 'connection' ? connectionFaulty === true : this.draw() < mode.rate;
      if (!faulty) fault = undefined;
    }
    if (fault !== undefined) this.recordFault(fault.kind);
    return fault;
  }

  recordFault(kind: FaultCounterKind, count = 1): void {
    this.counters.faults += count;
    this.counters.faults_by_kind[kind] += count;
  }
}
