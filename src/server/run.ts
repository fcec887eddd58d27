/**
 * `shield serve` as a long-running process: load the configuration, optionally start the simulated
 * orchestrator in-process (`--sim`), serve until SIGTERM/SIGINT, then shut down gracefully.
 */
import { DEFAULT_UPSTREAM, loadConfig } from './config.js';
import type { ConfigFlags } from './config.js';
import { startServer } from './server.js';
import type { RunningServer } from './server.js';
import type { SharedState } from './redis-shared-state.js';
import { waitForStopSignal } from '../common/stop-signal.js';

export interface ServeOptions {
  file?: string;
  flags: ConfigFlags;
  /** Start the simulator and point the `orchestrator` upstream at it. */
  sim?: boolean;
  /** Control port for the simulator (so `shield chaos` can reach it); default 9623. */
  simControlPort?: number;
  /** One line for the person who started the server. */
  print: (line: string) => void;
}

/** Binding failures a person can fix by choosing another address. */
export class ListenError extends Error {
  override name = 'ListenError';
}

function explainListen(error: unknown, where: string): unknown {
  const code = (error as { code?: string }).code;
  if (code === 'EADDRINUSE') return new ListenError(`cannot listen on ${where}: the address is already in use`);
  if (code === 'EACCES') return new ListenError(`cannot listen on ${where}: permission denied`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new ListenError(`cannot listen on ${where}: no such local address`);
  return error;
}

/** Starts everything; resolves with the signal name once the server has stopped. */
export async function serve(options: ServeOptions): Promise<string> {
  let closeSim: (() => Promise<void>) | undefined;
  const flags: ConfigFlags = { ...options.flags };
  if (options.sim) {
    const { startSim } = await import('../sim/index.js');
    let sim;
    try {
      sim = await startSim({ port: 0, controlPort: options.simControlPort ?? 9623 });
    } catch (error) {
      throw explainListen(error, `the simulator's control port ${options.simControlPort ?? 9623}`);
    }
    closeSim = () => sim.close();
    flags.upstreams = { [DEFAULT_UPSTREAM]: sim.url, ...flags.upstreams };
    options.print(`simulated orchestrator at ${sim.url}; switch its faults with: shield chaos down | healthy | hang (control ${sim.controlUrl})`);
  }
  let server: RunningServer;
  let shared: SharedState | undefined;
  try {
    const config = await loadConfig({ ...(options.file === undefined ? {} : { file: options.file }), flags });
    if (config.state) {
      const { openSharedStateFor } = await import('./redis-shared-state.js');
      shared = await openSharedStateFor({ ...config, state: config.state }, options.file);
    }
    try {
      server = await startServer(config, shared ? { sharedState: shared } : {});
    } catch (error) {
      throw explainListen(error, `${config.server.host}:${config.server.port}`);
    }
  } catch (error) {
    await shared?.close();
    await closeSim?.();
    throw error;
  }
  options.print(`shield serving MCP on ${server.url} (health: ${server.origin}/health, metrics: ${server.origin}/metrics)`);
  const signal = await waitForStopSignal();
  server.logger.info({ event: 'shutdown', signal }, `received ${signal}: draining`);
  await server.close();
  await shared?.close();
  await closeSim?.();
  return signal;
}
