/**
 * `startSim`: a LightRAG-compatible orchestrator stand-in on plain node:http, with fault modes
 * switched in-process (`setMode`) or over its control API.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ChaosState } from './chaos-state.js';
import type { Fault } from './chaos-state.js';
import { assembleHandle } from './chaos-handle.js';
import type { ChaosHandle } from './chaos-handle.js';
import { BodyTooLargeError, readBody } from './http-body.js';
import { formatLatency, NO_LATENCY, sampleLatency } from './latency.js';
import type { Latency } from './latency.js';
import {
  BODY_TOO_LARGE,
  errorReply,
  GARBAGE_BODY,
  healthReply,
  MAX_QUERY_BODY_BYTES,
  queryReply,
  route,
} from './lightrag.js';
import type { Reply } from './lightrag.js';
import { SwitchableListener } from './listener.js';
import type { Mode, ModeInput } from './mode.js';
import { seededRandom } from './prng.js';

export interface SimOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Data port; default 0 (a free port). The CLI defaults to 9621. */
  port?: number;
  /** Control API port, on the same host; default 0 (a free port). The CLI defaults to 9623. */
  controlPort?: number;
  /** Base latency of every answer; default none. */
  latency?: Latency;
  /** Seeds the latency draws; default 1. (`flaky` has its own seed in the mode.) */
  seed?: number;
  /** The mode to start in; default healthy. */
  mode?: ModeInput;
  /** Told after every switch (the CLI prints it). */
  onModeChange?: (mode: Mode) => void;
}

/** Idle keep-alive connections stay open this long (above common client pools' idle timeouts). */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(reply.body) });
  res.end(reply.body);
}

/** Runs `action` after `ms`, unless the response closes first (so close() leaves no timers). */
function after(res: ServerResponse, ms: number, action: () => void): void {
  if (ms <= 0) {
    action();
    return;
  }
  const timer = setTimeout(action, ms);
  res.once('close', () => clearTimeout(timer));
}

async function answer(req: IncomingMessage): Promise<Reply> {
  const target = route(req.method, req.url);
  if (target === 'health') return healthReply();
  if (target !== 'query') {
    req.resume();
    return target;
  }
  try {
    return queryReply((await readBody(req, MAX_QUERY_BODY_BYTES)).toString('utf8'));
  } catch (error) {
    if (error instanceof BodyTooLargeError) return BODY_TOO_LARGE;
    throw error;
  }
}


export async function startSim(options: SimOptions = {}): Promise<ChaosHandle> {
  const host = options.host ?? '127.0.0.1';
  const latency = options.latency ?? NO_LATENCY;
  const random = seededRandom(options.seed ?? 1);
  const state = new ChaosState();
  const connectionFaulty = new WeakMap<Socket, boolean>();

  const server = createServer((req, res) => {
    const fault = state.requestFault(connectionFaulty.get(req.socket));
    const delayMs = sampleLatency(latency, random);
    if (fault === undefined) reply(req, res, delayMs);
    else applyFault(fault, req, res, delayMs);
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.on('connection', (socket: Socket) => {
    const faulty = state.acceptConnection();
    if (faulty !== undefined) connectionFaulty.set(socket, faulty);
  });
  server.on('clientError', (_error, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  function reply(req: IncomingMessage, res: ServerResponse, delayMs: number): void {
    answer(req).then(
      (computed) => after(res, delayMs, () => send(res, computed)),
      () => res.destroy(),
    );
  }

  function applyFault(fault: Fault, req: IncomingMessage, res: ServerResponse, delayMs: number): void {
    switch (fault.kind) {
      case 'hang':
        // Never answered: the socket stays open until the caller gives up, `down` or close().
        return;
      case 'slow':
        reply(req, res, delayMs + fault.delayMs);
        return;
      case 'error':
        req.resume();
        after(res, delayMs, () => send(res, errorReply(fault.status)));
        return;
      case 'reset':
        req.resume();
        // A reset with response bytes already sent reads as a clean close to many clients; a reset
        // before the first byte is ECONNRESET for every caller.
        after(res, delayMs, () => req.socket.resetAndDestroy());
        return;
      case 'garbage':
        req.resume();
        after(res, delayMs, () => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(GARBAGE_BODY) });
          res.end(GARBAGE_BODY);
        });
        return;
    }
  }

  return assembleHandle({
    role: 'sim',
    state,
    listener: new SwitchableListener(server, host, options.port ?? 0),
    host,
    controlHost: host,
    controlPort: options.controlPort ?? 0,
    initialMode: options.mode,
    onModeChange: options.onModeChange,
    details: { latency: formatLatency(latency) },
  });
}
