/**
 * A client for the control API of `shield sim` and `shield chaos-proxy`, used by `shield chaos`,
 * `shield load --chaos` and `shield verify --chaos`. An unreachable control API is an
 * UnreachableError (exit 3); a mode the API rejects is a UsageError (exit 2) with its reason.
 */
import { request } from 'undici';
import { UnreachableError, UsageError } from '../cli/exit-codes.js';
import { CONTROL_PATH } from './control-server.js';
import type { ChaosStatus } from './control-server.js';
import type { ModeInput } from './mode.js';

export const DEFAULT_CONTROL_URL = 'http://127.0.0.1:9623';
const DEFAULT_TIMEOUT_MS = 10_000;

export interface ChaosControl {
  /** The control endpoint, e.g. `http://127.0.0.1:9623/control`. */
  readonly url: string;
  status(): Promise<ChaosStatus>;
  setMode(mode: ModeInput): Promise<ChaosStatus>;
}

/** Accepts the base URL (`http://127.0.0.1:9623`) or the endpoint itself (`.../control`). */
function controlEndpoint(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`control URL ${JSON.stringify(url)} is not a URL; expected e.g. ${DEFAULT_CONTROL_URL}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`control URL ${url} must start with http:// or https://`);
  }
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = CONTROL_PATH;
  return parsed.toString();
}

function isStatus(value: unknown): value is ChaosStatus {
  const status = value as Partial<ChaosStatus> | null;
  return typeof status === 'object' && status !== null && typeof status.mode?.mode === 'string' && typeof status.counters === 'object';
}

export function createChaosControl(url: string, options: { timeoutMs?: number } = {}): ChaosControl {
  const endpoint = controlEndpoint(url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function call(method: 'GET' | 'PUT', mode?: ModeInput): Promise<ChaosStatus> {
    let response;
    try {
      response = await request(endpoint, {
        method,
        headers: mode === undefined ? {} : { 'content-type': 'application/json' },
        body: mode === undefined ? undefined : JSON.stringify(mode),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as Error).name;
      throw new UnreachableError(`cannot reach the chaos control API at ${endpoint} (${code}: ${(error as Error).message})`);
    }
    const text = await response.body.text().catch((error: Error) => {
      throw new UnreachableError(`the chaos control API at ${endpoint} dropped the reply (${error.message})`);
    });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const reason = (body as { error?: unknown } | undefined)?.error;
    if (response.statusCode === 400 && typeof reason === 'string') {
      throw new UsageError(`the chaos control API rejected the mode: ${reason}`);
    }
    if (response.statusCode !== 200 || !isStatus(body)) {
      const detail = typeof reason === 'string' ? reason : text.slice(0, 200);
      throw new Error(`unexpected reply from ${endpoint}: HTTP ${response.statusCode} ${detail}`);
    }
    return body;
  }

  return {
    url: endpoint,
    status: () => call('GET'),
    setMode: (mode) => call('PUT', mode),
  };
}
