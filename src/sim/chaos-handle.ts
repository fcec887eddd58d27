/**
 * What `startSim` and `startChaosProxy` return, and the assembly they share: open the data port,
 * enter the initial mode, start the control API, and wire status, switching and close.
 */
import type { ChaosState, Counters } from './chaos-state.js';
import { formatHost, startControlServer } from './control-server.js';
import type { ChaosStatus } from './control-server.js';
import type { SwitchableListener } from './listener.js';
import { ModeSwitch } from './mode-switch.js';
import { toMode } from './mode.js';
import type { Mode, ModeInput } from './mode.js';

export interface ChaosHandle {
  /** The data URL callers use, e.g. `http://127.0.0.1:9621`. */
  readonly url: string;
  readonly port: number;
  /** The control API's base URL, e.g. `http://127.0.0.1:9623` (its path is `/control`). */
  readonly controlUrl: string;
  readonly controlPort: number;
  /** Switches mode (the same object `PUT /control` takes); resolves once the switch is in effect. */
  setMode(mode: ModeInput): Promise<ChaosStatus>;
  mode(): Mode;
  /** A snapshot of the counters. */
  counters(): Counters;
  status(): ChaosStatus;
  /** Closes both ports and destroys every connection, hung ones included. */
  close(): Promise<void>;
}

export interface HandleParts {
  role: ChaosStatus['role'];
  state: ChaosState;
  listener: SwitchableListener;
  host: string;
  controlHost: string;
  controlPort: number;
  initialMode: ModeInput | undefined;
  onModeChange: ((mode: Mode) => void) | undefined;
  /** Role-specific status fields (the proxy's target, the simulator's latency). */
  details: Pick<ChaosStatus, 'target' | 'latency'>;
}

export async function assembleHandle(parts: HandleParts): Promise<ChaosHandle> {
  const { state, listener } = parts;
  const modes = new ModeSwitch(state, listener, parts.onModeChange);
  const initialMode = toMode(parts.initialMode ?? { mode: 'healthy' });
  await listener.open();
  await modes.apply(initialMode, false);
  const dataUrl = () => `http://${formatHost(parts.host)}:${listener.port}`;

  const status = (): ChaosStatus => ({
    role: parts.role,
    mode: state.mode,
    listening: listener.listening,
    url: dataUrl(),
    ...parts.details,
    counters: structuredClone(state.counters),
  });
  const setMode = async (mode: ModeInput | Mode): Promise<ChaosStatus> => {
    await modes.apply(toMode(mode));
    return status();
  };

  let control;
  try {
    control = await startControlServer({ status, setMode }, parts.controlHost, parts.controlPort);
  } catch (error) {
    await listener.shut();
    throw error;
  }
  const controlServer = control;

  return {
    get url() {
      return dataUrl();
    },
    get port() {
      return listener.port;
    },
    controlUrl: controlServer.url,
    controlPort: controlServer.port,
    setMode,
    mode: () => state.mode,
    counters: () => structuredClone(state.counters),
    status,
    close: async () => {
      await modes.close();
      await Promise.all([listener.shut(), controlServer.close()]);
    },
  };
}
