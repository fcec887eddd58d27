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
import { BodyTooLargeError, collectBody } from '../common/http-body.js';
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
const MAX_RECENT_REPLIES = 1024;

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

export async function startSim(options: SimOptions = {}): Promise<ChaosHandle> {
  const host = options.host ?? '127.0.0.1';
  const latency = options.latency ?? NO_LATENCY;
  const random = seededRandom(options.seed ?? 1);
  const state = new ChaosState();
  const connectionFaulty = new WeakMap<Socket, boolean>();

  const server = createServer((req, res) => {
    const fault = state.requestFault(connectionFaulty.get(req.socket));
    if (fault === undefined) reply(req, res);
    else applyFault(fault, req, res);
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

  // Answers are a pure function of the body, so recent ones are reused rather than recomputed.
  const recentReplies = new Map<string, Reply>();
  function replyToQuery(body: string): Reply {
    let computed = recentReplies.get(body);
    if (computed === undefined) {
      computed = queryReply(body);
      if (recentReplies.size >= MAX_RECENT_REPLIES) recentReplies.clear();
      recentReplies.set(body, computed);
    }
    return computed;
  }

  /** Runs `action` after the base latency (drawn per answer), or at once when there is none. */
  function afterLatency(res: ServerResponse, action: () => void): void {
    after(res, sampleLatency(latency, random), action);
  }

  function answer(res: ServerResponse, computed: Reply): void {
    if (latency.maxMs > 0) afterLatency(res, () => send(res, computed));
    else send(res, computed);
  }

  function onQueryBody(res: ServerResponse, error: Error | undefined, body: Buffer): void {
    if (error instanceof BodyTooLargeError) send(res, BODY_TOO_LARGE);
    else if (error !== undefined) res.destroy();
    else answer(res, replyToQuery(body.toString('utf8')));
  }

  function reply(req: IncomingMessage, res: ServerResponse): void {
    const target = route(req.method, req.url);
    if (target === 'query') {
      collectBody(req, MAX_QUERY_BODY_BYTES, res, onQueryBody);
      return;
    }
    req.resume();
    answer(res, target === 'health' ? healthReply() : target);
  }

  function applyFault(fault: Fault, req: IncomingMessage, res: ServerResponse): void {
    switch (fault.kind) {
      case 'hang':
        // Never answered: the socket stays open until the caller gives up, `down` or close().
        return;
      case 'slow':
        after(res, fault.delayMs, () => reply(req, res));
        return;
      case 'error':
        req.resume();
        afterLatency(res, () => send(res, errorReply(fault.status)));
        return;
      case 'reset':
        // A reset with response bytes already sent reads as a clean close to many clients; a reset
        // before the first byte is ECONNRESET for every caller.
        req.resume();
        afterLatency(res, () => req.socket.resetAndDestroy());
        return;
      case 'garbage':
        req.resume();
        afterLatency(res, () => {
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
