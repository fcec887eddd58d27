/**
 * `startChaosProxy`: a TCP proxy in front of a real orchestrator, byte-transparent while healthy,
 * that applies the same fault modes as the simulator. It does not parse HTTP: a request starts
 * with the first bytes the client sends after the upstream last spoke (or on a new connection),
 * which is exact for HTTP/1.1 without pipelining, the way HTTP clients talk to an orchestrator.
 */
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { ChaosState } from './chaos-state.js';
import type { Fault } from './chaos-state.js';
import { assembleHandle } from './chaos-handle.js';
import type { ChaosHandle } from './chaos-handle.js';
import { errorReply, GARBAGE_BODY } from './lightrag.js';
import { SwitchableListener } from './listener.js';
import type { Mode, ModeInput } from './mode.js';

export interface ChaosProxyOptions {
  /** The real orchestrator, e.g. `http://orchestrator-host:9621`. */
  target: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). The CLI defaults to 9622. */
  port?: number;
  /** Default: same as host. */
  controlHost?: string;
  /** Default 0 (a free port). The CLI defaults to 9623. */
  controlPort?: number;
  mode?: ModeInput;
  onModeChange?: (mode: Mode) => void;
}

/** Parses the target URL into a host and port; throws a TypeError naming what is wrong. */
export function parseTarget(target: string): { host: string; port: number } {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new TypeError(`target ${JSON.stringify(target)} is not a URL; expected e.g. http://orchestrator-host:9621`);
  }
  if (url.protocol !== 'http:') {
    throw new TypeError(`target ${target}: only http:// targets can be proxied (got ${url.protocol})`);
  }
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port === '' ? 80 : Number(url.port) };
}

/** Tries one TCP connection to the target: undefined when it accepts, else why not (for a startup warning). */
export function probeTarget(target: string, timeoutMs = 2_000): Promise<string | undefined> {
  const { host, port } = parseTarget(target);
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(`no answer within ${timeoutMs} ms`);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function httpResponse(status: number, reason: string, body: string): string {
  return (
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}

export async function startChaosProxy(options: ChaosProxyOptions): Promise<ChaosHandle> {
  const target = parseTarget(options.target);
  const host = options.host ?? '127.0.0.1';
  const state = new ChaosState();
  // Half-open connections pass through as they are: a caller may finish sending and still read.
  const server = createServer({ noDelay: true, allowHalfOpen: true });
  const listener = new SwitchableListener(server, host, options.port ?? 0);

  server.on('connection', (client: Socket) => {
    const connectionFaulty = state.acceptConnection();
    const upstream = connect({ host: target.host, port: target.port, noDelay: true, allowHalfOpen: true });
    listener.track(upstream);
    let awaitingRequest = true;
    let blackHoled = false;
    /** Client bytes held back by `slow`, in order, and whether the client finished sending meanwhile. */
    let held: Buffer[] | undefined;
    let endAfterHeld = false;
    let slowTimer: NodeJS.Timeout | undefined;

    const forward = (chunk: Buffer) => {
      if (!upstream.write(chunk) && !client.isPaused()) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    };
    const finish = (reply: string) => {
      upstream.destroy();
      client.end(reply);
    };
    const apply = (fault: Fault, chunk: Buffer) => {
      switch (fault.kind) {
        case 'hang':
          blackHoled = true;
          upstream.destroy();
          return;
        case 'slow':
          held = [chunk];
          slowTimer = setTimeout(() => {
            const chunks = held ?? [];
            held = undefined;
            for (const piece of chunks) forward(piece);
            if (endAfterHeld) upstream.end();
          }, fault.delayMs);
          return;
        case 'error':
          finish(httpResponse(fault.status, 'Error', errorReply(fault.status).body));
          return;
        case 'garbage':
          finish(httpResponse(200, 'OK', GARBAGE_BODY));
          return;
        case 'reset':
          upstream.destroy();
          client.resetAndDestroy();
          return;
      }
    };

    client.on('data', (chunk: Buffer) => {
      if (blackHoled) return;
      if (held !== undefined) {
        held.push(chunk);
        return;
      }
      if (awaitingRequest) {
        awaitingRequest = false;
        const fault = state.requestFault(connectionFaulty);
        if (fault !== undefined) {
          apply(fault, chunk);
          return;
        }
      }
      forward(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      awaitingRequest = true;
      if (!client.write(chunk) && !upstream.isPaused()) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
    });
    client.on('end', () => {
      if (blackHoled) client.end();
      else if (held !== undefined) endAfterHeld = true;
      else upstream.end();
    });
    upstream.on('end', () => {
      if (!blackHoled) client.end();
    });
    // A refused or failed upstream looks to the caller like a dropped connection.
    upstream.on('error', () => {
      if (!blackHoled) client.destroy();
    });
    client.on('error', () => upstream.destroy());
    client.on('close', () => {
      clearTimeout(slowTimer);
      upstream.destroy();
    });
  });

  return assembleHandle({
    role: 'proxy',
    state,
    listener,
    host,
    controlHost: options.controlHost ?? host,
    controlPort: options.controlPort ?? 0,
    initialMode: options.mode,
    onModeChange: options.onModeChange,
    details: { target: options.target },
  });
}
