/**
 * The control API, on its own port so that `down` can close the data port:
 * `GET /control` → the status; `PUT /control` with a mode object → switches, then the status.
 * Bad requests get 400 (or 404/405/413/415) with `{error}` naming what is wrong.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counters } from './chaos-state.js';
import { BodyTooLargeError, isJsonContentType, readBody, sendJson } from '../common/http-body.js';
import { parseMode } from './mode.js';
import type { Mode } from './mode.js';
import { SwitchableListener } from './listener.js';

export interface ChaosStatus {
  /** `sim`: the simulated orchestrator; `proxy`: the chaos proxy in front of a real one. */
  role: 'sim' | 'proxy';
  mode: Mode;
  /** Whether the data port is accepting connections (false while `down`). */
  listening: boolean;
  /** The data URL callers use. */
  url: string;
  /** The proxy's upstream. */
  target?: string;
  /** The simulator's base latency, e.g. `20ms..200ms`. */
  latency?: string;
  counters: Counters;
}

export interface ControlTarget {
  status(): ChaosStatus;
  setMode(mode: Mode): Promise<ChaosStatus>;
}

export const CONTROL_PATH = '/control';
const MAX_CONTROL_BODY = 16 * 1024;

async function handle(target: ControlTarget, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== CONTROL_PATH) {
    sendJson(res, 404, { error: `no such path ${path}; the control API is GET/PUT ${CONTROL_PATH}` });
    return;
  }
  if (req.method === 'GET' || req.method === 'HEAD') {
    sendJson(res, 200, target.status());
    return;
  }
  if (req.method !== 'PUT') {
    sendJson(res, 405, { error: `method ${req.method} not allowed; use GET or PUT` }, { allow: 'GET, PUT' });
    return;
  }
  if (!isJsonContentType(req)) {
    req.resume();
    sendJson(res, 415, {
      error: `content-type must be application/json (got ${req.headers['content-type'] ?? 'none'})`,
    });
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse((await readBody(req, MAX_CONTROL_BODY)).toString('utf8'));
  } catch (error) {
    if (error instanceof BodyTooLargeError) sendJson(res, 413, { error: error.message });
    else sendJson(res, 400, { error: `invalid JSON: ${(error as Error).message}` });
    return;
  }
  const parsed = parseMode(body);
  if (!parsed.ok) {
    sendJson(res, 400, { error: parsed.reason });
    return;
  }
  try {
    sendJson(res, 200, await target.setMode(parsed.mode));
  } catch (error) {
    sendJson(res, 500, { error: `could not switch to ${parsed.mode.mode}: ${(error as Error).message}` });
  }
}

export interface ControlServer {
  /** The base URL, e.g. `http://127.0.0.1:9623` (what `shield chaos --control` takes). */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startControlServer(target: ControlTarget, host: string, port: number): Promise<ControlServer> {
  const server = createServer((req, res) => {
    handle(target, req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: (error as Error).message });
      else res.destroy();
    });
  });
  const listener = new SwitchableListener(server, host, port);
  await listener.open();
  return {
    url: `http://${formatHost(host)}:${listener.port}`,
    port: listener.port,
    close: async () => {
      await listener.shut();
    },
  };
}

/** IPv6 literals need brackets in a URL. */
export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
