/**
 * One Streamable HTTP POST on undici's dispatch API: no AbortController, no body stream, no per-call
 * closures. The handler collects a JSON body or reads an SSE body until the JSON-RPC response to
 * its request id arrives, and can be aborted at any time (queued, sending or receiving).
 */
import { StringDecoder } from 'node:string_decoder';
import type { Dispatcher } from 'undici';
import { SseReader } from './sse.js';

export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: number | string | null;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export type Reply =
  | { kind: 'response'; message: JsonRpcResponse; headers: Record<string, string | string[] | undefined> }
  | { kind: 'accepted' }
  | { kind: 'http'; status: number; text: string }
  | { kind: 'invalid'; message: string };

const MAX_ERROR_BODY = 500;

export function isResponseTo(message: unknown, id: number | string | null): message is JsonRpcResponse {
  return typeof message === 'object' && message !== null && (message as JsonRpcResponse).id === id && ('result' in message || 'error' in message);
}

/**
 * What undici holds: it keeps up to 256 finished requests per connection (with their handlers)
 * before trimming its queue, so the handler lets go of the exchange, and with it the reply and
 * its parsed result, as soon as the exchange settles.
 */
class ExchangeHandler implements Dispatcher.DispatchHandler {
  /** Set when the exchange was aborted, so a request still queued is stopped when it starts. */
  abortReason: Error | undefined;
  constructor(public exchange: Exchange | undefined) {}
  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.exchange) this.exchange.onRequestStart(controller);
    else if (this.abortReason) controller.abort(this.abortReason);
  }
  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.exchange?.onResponseStart(controller, statusCode, headers);
  }
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.exchange?.onResponseData(controller, chunk);
  }
  onResponseEnd(): void {
    this.exchange?.onResponseEnd();
  }
  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.exchange?.onResponseError(controller, error);
  }
}

export class Exchange implements Dispatcher.DispatchHandler {
  readonly handler = new ExchangeHandler(this);
  readonly promise: Promise<Reply>;
  /** `performance.now()` time by which the caller wants an answer (the client times it out then). */
  deadline = Infinity;
  /** Why the exchange was aborted, if it was. */
  abortReason: Error | undefined;
  private resolve!: (reply: Reply) => void;
  private reject!: (error: Error) => void;
  private controller: Dispatcher.DispatchController | undefined;
  private settled = false;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private chunks: Buffer[] = [];
  private sse: SseReader | undefined;
  private decoder: StringDecoder | undefined;
  private found: JsonRpcResponse | undefined;
  private invalid: string | undefined;

  constructor(private readonly id: number | string | null) {
    this.promise = new Promise<Reply>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Rejects with `reason` now and stops the request wherever it is. */
  abort(reason: Error): void {
    if (this.settled) return;
    this.abortReason = reason;
    this.handler.abortReason = reason;
    this.settle(undefined, reason);
    this.controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.status = statusCode;
    this.headers = headers;
    const contentType = headers['content-type'];
    if (statusCode >= 200 && statusCode < 300 && typeof contentType === 'string' && contentType.includes('text/event-stream')) {
      this.decoder = new StringDecoder('utf8');
      this.sse = new SseReader((data) => this.onEvent(data));
    }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.sse) this.sse.push((this.decoder as StringDecoder).write(chunk));
    else this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.settle(this.reply());
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.settle(undefined, this.abortReason ?? error);
  }

  private onEvent(data: string): void {
    if (this.found) return;
    try {
      const message = JSON.parse(data) as unknown;
      if (isResponseTo(message, this.id)) this.found = message;
    } catch {
      this.invalid = `an SSE event that is not JSON: ${data.slice(0, 100)}`;
    }
  }

  private reply(): Reply {
    const status = this.status;
    if (status === 202) return { kind: 'accepted' };
    const text = (): string => (this.chunks.length === 1 ? (this.chunks[0] as Buffer).toString('utf8') : Buffer.concat(this.chunks).toString('utf8'));
    if (status < 200 || status >= 300) return { kind: 'http', status, text: text().slice(0, MAX_ERROR_BODY) };
    if (this.sse) {
      this.sse.end();
      if (this.found) return { kind: 'response', message: this.found, headers: this.headers };
      return { kind: 'invalid', message: this.invalid ?? 'the SSE stream ended without a response' };
    }
    if (this.id === null) return { kind: 'accepted' };
    const body = text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      const contentType = this.headers['content-type'];
      return { kind: 'invalid', message: `a body that is not JSON (${contentType || 'no content type'}): ${body.slice(0, 100)}` };
    }
    const message = Array.isArray(parsed) ? parsed.find((item) => isResponseTo(item, this.id)) : parsed;
    if (!isResponseTo(message, this.id)) return { kind: 'invalid', message: `no JSON-RPC response to request ${this.id}: ${body.slice(0, 100)}` };
    return { kind: 'response', message, headers: this.headers };
  }

  private settle(reply: Reply | undefined, error?: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.handler.exchange = undefined;
    this.chunks = [];
    if (error) this.reject(error);
    else this.resolve(reply as Reply);
  }
}

/** Starts a POST of `body`; its JSON-RPC response must carry `id` (null for a notification). */
export function startExchange(
  dispatcher: Dispatcher,
  origin: string,
  path: string,
  headers: Record<string, string>,
  body: string,
  id: number | string | null,
): Exchange {
  const exchange = new Exchange(id);
  try {
    dispatcher.dispatch({ origin, path, method: 'POST', headers, body }, exchange.handler);
  } catch (error) {
    exchange.abort(error as Error);
  }
  return exchange;
}
