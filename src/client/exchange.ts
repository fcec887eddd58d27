/**
 * One Streamable HTTP POST on undici's dispatch API: no AbortController, no body stream, no per-call
 * closures. It collects a JSON body or reads an SSE body until the JSON-RPC response to its request
 * id arrives, and can be aborted at any time (queued, sending or receiving).
 */
import { StringDecoder } from 'node:string_decoder';
import type { Dispatcher } from 'undici';
import { DispatchedRequest } from '../common/dispatched-request.js';
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

export class Exchange extends DispatchedRequest<Reply> {
  /** `performance.now()` time by which the caller wants an answer (the client times it out then). */
  deadline = Infinity;
  private sse: SseReader | undefined;
  private decoder: StringDecoder | undefined;
  private found: JsonRpcResponse | undefined;
  private invalid: string | undefined;

  constructor(private readonly id: number | string | null) {
    super();
  }

  override onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    super.onResponseStart(controller, statusCode, headers);
    const contentType = headers['content-type'];
    if (statusCode >= 200 && statusCode < 300 && typeof contentType === 'string' && contentType.includes('text/event-stream')) {
      this.decoder = new StringDecoder('utf8');
      this.sse = new SseReader((data) => this.onEvent(data));
    }
  }

  override onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.sse) this.sse.push((this.decoder as StringDecoder).write(chunk));
    else super.onResponseData(controller, chunk);
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

  protected finish(): Reply {
    const status = this.statusCode;
    if (status === 202) return { kind: 'accepted' };
    if (status < 200 || status >= 300) return { kind: 'http', status, text: this.text().slice(0, MAX_ERROR_BODY) };
    if (this.sse) {
      this.sse.end();
      if (this.found) return { kind: 'response', message: this.found, headers: this.headers };
      return { kind: 'invalid', message: this.invalid ?? 'the SSE stream ended without a response' };
    }
    if (this.id === null) return { kind: 'accepted' };
    const body = this.text();
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
  return new Exchange(id).dispatch(dispatcher, { origin, path, method: 'POST', headers, body });
}
