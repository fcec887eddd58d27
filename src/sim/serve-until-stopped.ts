/** Keeps `shield sim` / `shield chaos-proxy` running until SIGINT or SIGTERM, then closes cleanly. */
import type { ChaosHandle } from './chaos-handle.js';
import { UsageError } from '../cli/exit-codes.js';
import { waitForStopSignal } from '../common/stop-signal.js';

/** Turns a failure to bind into a usage error naming the address (EADDRINUSE, EACCES, EADDRNOTAVAIL). */
export async function startOrExplain(start: () => Promise<ChaosHandle>): Promise<ChaosHandle> {
  try {
    return await start();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new UsageError(`cannot listen: ${(error as Error).message}`);
    }
    throw error;
  }
}

export async function serveUntilStopped(handle: ChaosHandle): Promise<string> {
  const signal = await waitForStopSignal();
  await handle.close();
  return signal;
}
