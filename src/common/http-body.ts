/** Request bodies and JSON replies, for the Shield server, the simulator's data port and its control API. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

/** Called once with the caller's context, then the body or the error. */
type BodyCallback<T> = (context: T, error: Error | undefined, body: Buffer) => void;

interface PendingBody {
  limitBytes: number;
  size: number;
  first: Buffer | undefined;
  rest: Buffer[] | undefined;
  context: unknown;
  done: BodyCallback<unknown> | undefined;
}

const PENDING = Symbol('pendingBody');
type Collecting = IncomingMessage & { [PENDING]: PendingBody };
const EMPTY = Buffer.alloc(0);

function finish(pending: PendingBody, error: Error | undefined, body: Buffer): void {
  const done = pending.done;
  pending.done = undefined;
  pending.first = undefined;
  pending.rest = undefined;
  done?.(pending.context, error, body);
}

// Shared listeners that keep their state on the request, rather than closures made per request:
// this is the hot path of the server and the simulator.
function onData(this: Collecting, chunk: Buffer): void {
  const pending = this[PENDING];
  if (pending.done === undefined) return;
  pending.size += chunk.length;
  if (pending.size > pending.limitBytes) {
    finish(pending, new BodyTooLargeError(`body exceeds the limit of ${pending.limitBytes} bytes`), EMPTY);
  } else if (pending.first === undefined) pending.first = chunk;
  else (pending.rest ??= [pending.first]).push(chunk);
}

function onEnd(this: Collecting): void {
  const pending = this[PENDING];
  finish(pending, undefined, pending.rest !== undefined ? Buffer.concat(pending.rest) : (pending.first ?? EMPTY));
}

function onError(this: Collecting, error: Error): void {
  finish(this[PENDING], error, EMPTY);
}

/**
 * Collects the whole body and calls `done(context, error, body)` once: with the body, or with
 * BodyTooLargeError past `limitBytes` (the rest is discarded), or with the stream's error.
 */
export function collectBody<T>(req: IncomingMessage, limitBytes: number, context: T, done: BodyCallback<T>): void {
  const declared = Number(req.headers['content-length']);
  if (declared > limitBytes) {
    req.resume();
    done(context, new BodyTooLargeError(`body of ${declared} bytes exceeds the limit of ${limitBytes}`), EMPTY);
    return;
  }
  (req as Collecting)[PENDING] = {
    limitBytes,
    size: 0,
    first: undefined,
    rest: undefined,
    context,
    done: done as BodyCallback<unknown>,
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
}

export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    collectBody(req, limitBytes, undefined, (_context, error, body) => (error === undefined ? resolve(body) : reject(error)));
  });
}

export function isJsonContentType(req: IncomingMessage): boolean {
  const type = req.headers['content-type'];
  return type !== undefined && /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
