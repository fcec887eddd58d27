/**
 * A lean MCP client over Streamable HTTP, built for the load generator's hot path: one keep-alive
 * undici pool, no per-call objects beyond the request itself, JSON and SSE replies. It speaks the
 * 2026-07-28 revision (per-request `_meta` envelope, `Mcp-Method`/`Mcp-Name` headers) when the
 * server offers it through `server/discover`, and otherwise the 2025-era handshake (initialize,
 * `notifications/initialized`, `Mcp-Session-Id`, `MCP-Protocol-Version`, DELETE on close).
 */
import { Pool, type Dispatcher } from 'undici';
import { formatDuration } from '../common/duration.js';
import { classifyResult, type CallOutcome, type ToolResult } from './outcome.js';
import { startExchange, type Exchange, type Reply } from './exchange.js';

export const MODERN_PROTOCOL_VERSION = '2026-07-28';
export const LEGACY_PROTOCOL_VERSION = '2025-11-25';

const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
const META_CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
const META_SERVER_INFO = 'io.modelcontextprotocol/serverInfo';

export type ProtocolChoice = 'auto' | 'modern' | 'legacy';

export interface ConnectOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** `auto` (default) tries 2026-07-28 and falls back to the 2025 handshake. */
  protocol?: ProtocolChoice;
  /** Keep-alive connections in the client's own pool (default 16); ignored with `dispatcher`. */
  connections?: number;
  /** A pool shared by several clients; the caller closes it. */
  dispatcher?: Dispatcher;
  /** Deadline for the handshake (default 10 s). */
  timeoutMs?: number;
  clientInfo?: { name: string; version: string };
  signal?: AbortSignal;
}

export interface CallOptions {
  /** Per-call deadline; on expiry the call is abandoned, `notifications/cancelled` sent, outcome `client_timeout`. */
  timeoutMs?: number;
  /** Aborting rejects the call with an AbortError and sends `notifications/cancelled`. */
  signal?: AbortSignal;
}

export interface ToolInfo {
  name: string;
  description?: string;
  inputSchema?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Connecting failed: `unreachable` (exit 3), `auth` (bad or missing token), `protocol` (not an MCP endpoint). */
export class McpConnectError extends Error {
  override name = 'McpConnectError';
  constructor(
    readonly kind: 'unreachable' | 'auth' | 'protocol',
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A request other than tools/call failed (tools/list, ...). */
export class McpRequestError extends Error {
  override name = 'McpRequestError';
}

export class McpClient {
  readonly url: URL;
  era: 'modern' | 'legacy' = 'legacy';
  protocolVersion = LEGACY_PROTOCOL_VERSION;
  serverInfo: { name: string; version: string } | null = null;
  sessionId: string | null = null;

  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly path: string;
  private readonly baseHeaders: Record<string, string>;
  private readonly clientInfo: { name: string; version: string };
  private requestHeaders: Record<string, string>;
  private readonly callHeadersByTool = new Map<string, Record<string, string>>();
  private envelope: Record<string, unknown> | undefined;
  private nextId = 1;
  private rehandshake: Promise<void> | undefined;
  private readonly inFlight = new Map<number, Exchange>();
  private lastCall: { name: string; args: Record<string, unknown>; envelope: Record<string, unknown> | undefined; prefix: string } | undefined;
  private closed = false;
  /** One timer for every call's deadline, armed for the earliest: a load run makes no timer per call. */
  private deadlineTimer: NodeJS.Timeout | undefined;
  private deadlineTimerAt = Infinity;

  constructor(url: URL, options: ConnectOptions = {}) {
    this.url = url;
    this.path = url.pathname + url.search;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ?? new Pool(url.origin, { connections: options.connections ?? 16, pipelining: 1 });
    this.clientInfo = options.clientInfo ?? { name: 'shield', version: '0' };
    this.baseHeaders = {
      ...lowerCaseKeys(options.headers ?? {}),
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    if (options.token) this.baseHeaders.authorization = `Bearer ${options.token}`;
    this.requestHeaders = this.baseHeaders;
  }

  /** Negotiates the protocol revision; called by `connect()`. */
  async handshake(protocol: ProtocolChoice, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    if (protocol !== 'legacy') {
      const modern = await this.tryModern(deadline, protocol === 'modern');
      if (modern) return;
    }
    await this.initializeLegacy(deadline);
  }

  async listTools(options: CallOptions = {}): Promise<ToolInfo[]> {
    const tools: ToolInfo[] = [];
    let cursor: string | undefined;
    do {
      const result = (await this.request('tools/list', cursor === undefined ? {} : { cursor }, options)) as {
        tools?: ToolInfo[];
        nextCursor?: string;
      };
      tools.push(...(result.tools ?? []));
      cursor = result.nextCursor;
    } while (cursor);
    return tools;
  }

  /**
   * Calls a tool; never throws for a failed call (the outcome says how it failed), only when aborted
   * (`signal`, `abortAll()`). Calls with the same name and the same `args` object reuse its JSON, so
   * pass a new object rather than changing one between calls.
   */
  async callTool(name: string, args: Record<string, unknown>, options: CallOptions = {}): Promise<CallOutcome> {
    const id = this.nextId++;
    const body = `${this.callBodyPrefix(name, args)}${id}}`;
    const timeoutMs = options.timeoutMs ?? 0;
    const callerSignal = options.signal;
    if (callerSignal?.aborted) throw abortError();
    let exchange = this.start(body, this.callHeaders(name), id);
    if (timeoutMs > 0) {
      exchange.deadline = performance.now() + timeoutMs;
      if (exchange.deadline < this.deadlineTimerAt) this.armDeadlineTimer(exchange.deadline);
    }
    const onCallerAbort = callerSignal ? (): void => this.inFlight.get(id)?.abort(ABORTED) : undefined;
    if (onCallerAbort) callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      let reply = await exchange.promise;
      if (reply.kind === 'http' && reply.status === 404 && this.sessionId !== null) {
        await this.renewSession();
        const { deadline } = exchange;
        exchange = this.start(body, this.callHeaders(name), id);
        exchange.deadline = deadline;
        reply = await exchange.promise;
      }
      return outcomeOf(reply);
    } catch (error) {
      if (exchange.abortReason === TIMED_OUT) {
        this.sendCancelled(id, 'timeout');
        return { outcome: 'client_timeout', message: `no answer within ${formatDuration(timeoutMs)}` };
      }
      if (exchange.abortReason === ABORTED) {
        this.sendCancelled(id, 'cancelled by the caller');
        throw abortError();
      }
      return { outcome: 'transport_error', message: describeNetworkError(error) };
    } finally {
      if (onCallerAbort) callerSignal?.removeEventListener('abort', onCallerAbort);
      this.inFlight.delete(id);
    }
  }

  /** Aborts every call in flight: each rejects with an AbortError (the load generator's stop). */
  abortAll(): void {
    for (const exchange of this.inFlight.values()) exchange.abort(ABORTED);
  }

  /** Times out every call past its deadline and arms the timer for the earliest deadline left. */
  expireDeadlines(): void {
    this.deadlineTimer = undefined;
    this.deadlineTimerAt = Infinity;
    const now = performance.now();
    let earliest = Infinity;
    for (const exchange of this.inFlight.values()) {
      if (exchange.deadline <= now) exchange.abort(TIMED_OUT);
      else if (exchange.deadline < earliest) earliest = exchange.deadline;
    }
    if (earliest !== Infinity) this.armDeadlineTimer(earliest);
  }

  private armDeadlineTimer(at: number): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimerAt = at;
    // Unreferenced: a call waiting on the network keeps the process alive through its socket.
    this.deadlineTimer = setTimeout(expireDeadlines, Math.max(1, Math.ceil(at - performance.now())), this).unref();
  }

  /** The request up to its id; a load run calls one tool with the same arguments, so it is serialised once. */
  private callBodyPrefix(name: string, args: Record<string, unknown>): string {
    const cached = this.lastCall;
    if (cached && cached.name === name && cached.args === args && cached.envelope === this.envelope) return cached.prefix;
    const params: Record<string, unknown> = { name, arguments: args };
    if (this.envelope) params._meta = this.envelope;
    const prefix = `{"jsonrpc":"2.0","method":"tools/call","params":${JSON.stringify(params)},"id":`;
    this.lastCall = { name, args, envelope: this.envelope, prefix };
    return prefix;
  }

  private start(body: string, headers: Record<string, string>, id: number): Exchange {
    const exchange = startExchange(this.dispatcher, this.url.origin, this.path, headers, body, id);
    this.inFlight.set(id, exchange);
    return exchange;
  }

  /** Ends the session (DELETE, 2025 era) and closes the client's own pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.deadlineTimer);
    if (this.era === 'legacy' && this.sessionId !== null) {
      try {
        const response = await this.dispatcher.request({
          origin: this.url.origin,
          path: this.path,
          method: 'DELETE',
          headers: { ...this.requestHeaders },
          signal: AbortSignal.timeout(2000),
        });
        await response.body.dump();
      } catch {
        // The session ends on the server's own expiry if DELETE does not get through.
      }
    }
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  /** Sends a JSON-RPC request (not a tool call) and returns its result, throwing McpRequestError on failure. */
  async request(method: string, params: Record<string, unknown>, options: CallOptions = {}): Promise<unknown> {
    const id = this.nextId++;
    const signal = options.timeoutMs
      ? options.signal
        ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)])
        : AbortSignal.timeout(options.timeoutMs)
      : options.signal;
    const body = (): string =>
      JSON.stringify({ jsonrpc: '2.0', id, method, params: this.envelope ? { ...params, _meta: this.envelope } : params });
    let reply: Reply;
    try {
      reply = await this.exchange(body(), this.headersFor(method), id, signal);
      if (reply.kind === 'http' && reply.status === 404 && this.sessionId !== null) {
        await this.renewSession(signal);
        reply = await this.exchange(body(), this.headersFor(method), id, signal);
      }
    } catch (error) {
      throw new McpRequestError(`${method} failed: ${describeNetworkError(error)}`);
    }
    if (reply.kind === 'response') {
      if (reply.message.error) throw new McpRequestError(`${method} failed: ${reply.message.error.message} (JSON-RPC ${reply.message.error.code})`);
      return reply.message.result ?? {};
    }
    throw new McpRequestError(`${method} failed: ${describeReply(reply)}`);
  }

  private headersFor(method: string): Record<string, string> {
    if (this.era !== 'modern') return this.requestHeaders;
    return { ...this.requestHeaders, 'mcp-method': method };
  }

  private callHeaders(tool: string): Record<string, string> {
    if (this.era !== 'modern') return this.requestHeaders;
    let headers = this.callHeadersByTool.get(tool);
    if (!headers) {
      headers = { ...this.requestHeaders, 'mcp-method': 'tools/call', 'mcp-name': encodeHeaderValue(tool) };
      this.callHeadersByTool.set(tool, headers);
    }
    return headers;
  }

  private async tryModern(signal: AbortSignal, required: boolean): Promise<boolean> {
    const envelope = {
      [META_PROTOCOL_VERSION]: MODERN_PROTOCOL_VERSION,
      [META_CLIENT_INFO]: this.clientInfo,
      [META_CLIENT_CAPABILITIES]: {},
    };
    const body = JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'server/discover', params: { _meta: envelope } });
    const headers = { ...this.baseHeaders, 'mcp-protocol-version': MODERN_PROTOCOL_VERSION, 'mcp-method': 'server/discover' };
    const reply = await this.exchangeOrUnreachable(body, headers, 0, signal);
    if (reply.kind === 'http') this.rejectFatalStatus(reply);
    const result = reply.kind === 'response' ? (reply.message.result as Record<string, unknown> | undefined) : undefined;
    const versions = result?.supportedVersions;
    if (Array.isArray(versions) && versions.includes(MODERN_PROTOCOL_VERSION)) {
      this.era = 'modern';
      this.protocolVersion = MODERN_PROTOCOL_VERSION;
      this.envelope = envelope;
      this.serverInfo = readServerInfo((result?._meta as Record<string, unknown> | undefined)?.[META_SERVER_INFO]);
      this.requestHeaders = { ...this.baseHeaders, 'mcp-protocol-version': MODERN_PROTOCOL_VERSION };
      return true;
    }
    if (required) {
      throw new McpConnectError('protocol', `${this.url.href} does not offer MCP ${MODERN_PROTOCOL_VERSION} (${describeReply(reply)})`);
    }
    return false;
  }

  private async initializeLegacy(signal: AbortSignal): Promise<void> {
    this.era = 'legacy';
    this.envelope = undefined;
    this.sessionId = null;
    this.requestHeaders = this.baseHeaders;
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: LEGACY_PROTOCOL_VERSION, capabilities: {}, clientInfo: this.clientInfo },
    });
    const reply = await this.exchangeOrUnreachable(body, this.baseHeaders, 0, signal);
    if (reply.kind === 'http') this.rejectFatalStatus(reply);
    if (reply.kind !== 'response' || reply.message.error || typeof reply.message.result !== 'object') {
      throw new McpConnectError('protocol', `${this.url.href} is not an MCP endpoint: initialize got ${describeReply(reply)}`);
    }
    const result = reply.message.result as { protocolVersion?: unknown; serverInfo?: unknown };
    const sessionId = reply.headers['mcp-session-id'];
    this.sessionId = typeof sessionId === 'string' ? sessionId : null;
    this.protocolVersion = typeof result.protocolVersion === 'string' ? result.protocolVersion : LEGACY_PROTOCOL_VERSION;
    this.serverInfo = readServerInfo(result.serverInfo);
    this.requestHeaders = { ...this.baseHeaders, 'mcp-protocol-version': this.protocolVersion };
    if (this.sessionId !== null) this.requestHeaders['mcp-session-id'] = this.sessionId;
    this.callHeadersByTool.clear();
    const initialized = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await this.exchangeOrUnreachable(initialized, this.requestHeaders, null, signal);
  }

  /** The server forgot our session (404): initialize again, once for all callers that noticed. */
  private renewSession(signal?: AbortSignal): Promise<void> {
    this.rehandshake ??= this.initializeLegacy(signal ?? AbortSignal.timeout(10_000)).finally(() => {
      this.rehandshake = undefined;
    });
    return this.rehandshake;
  }

  private rejectFatalStatus(reply: { status: number; text: string }): void {
    if (reply.status === 401 || reply.status === 403) {
      throw new McpConnectError('auth', `${this.url.href} refused the client: HTTP ${reply.status} (check --token / --header)`, reply.status);
    }
    if (reply.status === 404) {
      const hint = this.url.pathname === '/' ? `; did you mean ${new URL('/mcp', this.url).href}?` : '';
      throw new McpConnectError('protocol', `no MCP endpoint at ${this.url.href} (HTTP 404)${hint}`, 404);
    }
    if (reply.status >= 500) {
      throw new McpConnectError('unreachable', `${this.url.href} answered HTTP ${reply.status}: ${reply.text.slice(0, 200)}`, reply.status);
    }
  }

  private async exchangeOrUnreachable(body: string, headers: Record<string, string>, id: number | null, signal: AbortSignal): Promise<Reply> {
    try {
      return await this.exchange(body, headers, id, signal);
    } catch (error) {
      const reason = signal.aborted ? 'no answer to the handshake in time' : describeNetworkError(error);
      throw new McpConnectError('unreachable', `cannot reach ${this.url.href}: ${reason}`);
    }
  }

  /** One POST; resolves with the JSON-RPC response to `id` from a JSON or SSE body. Network errors and aborts throw. */
  private async exchange(body: string, headers: Record<string, string>, id: number | string | null, signal?: AbortSignal): Promise<Reply> {
    const exchange = startExchange(this.dispatcher, this.url.origin, this.path, headers, body, id);
    return signal ? exchange.abortingOn(signal, ABORTED) : exchange.promise;
  }

  private sendCancelled(requestId: number, reason: string): void {
    if (this.closed) return;
    const params: Record<string, unknown> = { requestId, reason };
    if (this.envelope) params._meta = this.envelope;
    const body = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params });
    this.exchange(body, this.requestHeaders, null, AbortSignal.timeout(2000)).catch(() => {
      // Best effort: the server may be the reason the call timed out.
    });
  }
}

/** Connects and negotiates; throws McpConnectError. */
export async function connect(url: URL | string, options: ConnectOptions = {}): Promise<McpClient> {
  const client = new McpClient(typeof url === 'string' ? new URL(url) : url, options);
  try {
    await client.handshake(options.protocol ?? 'auto', options.timeoutMs ?? 10_000, options.signal);
  } catch (error) {
    await client.close();
    throw error;
  }
  return client;
}

function outcomeOf(reply: Reply): CallOutcome {
  switch (reply.kind) {
    case 'response': {
      const { error, result } = reply.message;
      if (error) {
        return { outcome: 'protocol_error', rpcError: error, message: `JSON-RPC error ${error.code}: ${error.message}` };
      }
      if (typeof result !== 'object' || result === null) {
        return { outcome: 'protocol_error', message: 'the response has no result object' };
      }
      return classifyResult(result as ToolResult);
    }
    case 'http':
      return { outcome: 'protocol_error', httpStatus: reply.status, message: `HTTP ${reply.status}: ${reply.text.slice(0, 200)}` };
    case 'accepted':
      return { outcome: 'protocol_error', message: 'the server accepted the request (202) but sent no response' };
    case 'invalid':
      return { outcome: 'protocol_error', message: reply.message };
  }
}

function describeReply(reply: Reply): string {
  switch (reply.kind) {
    case 'response':
      return reply.message.error ? `JSON-RPC error ${reply.message.error.code}: ${reply.message.error.message}` : 'an unexpected result';
    case 'http':
      return `HTTP ${reply.status}${reply.text ? `: ${reply.text.slice(0, 200)}` : ''}`;
    case 'accepted':
      return 'HTTP 202 with no response';
    case 'invalid':
      return reply.message;
  }
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_CLOSED: 'client closed',
};

/** One line for a network failure: `connection refused (ECONNREFUSED)`. */
export function describeNetworkError(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const candidate = current as { code?: unknown; errors?: unknown[]; cause?: unknown };
    if (typeof candidate.code === 'string' && NETWORK_CODES[candidate.code]) return `${NETWORK_CODES[candidate.code]} (${candidate.code})`;
    current = Array.isArray(candidate.errors) ? candidate.errors[0] : candidate.cause;
  }
  return error instanceof Error ? error.message : String(error);
}

function readServerInfo(value: unknown): { name: string; version: string } | null {
  if (typeof value !== 'object' || value === null) return null;
  const { name, version } = value as { name?: unknown; version?: unknown };
  return typeof name === 'string' ? { name, version: typeof version === 'string' ? version : '' } : null;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]));
}

/** `Mcp-Name` carries plain ASCII as is and anything else base64-wrapped, as the 2026-07-28 binding says. */
function encodeHeaderValue(value: string): string {
  const plain = value.length > 0 && value === value.trim() && /^[\x20-\x7e\t]*$/.test(value) && !value.startsWith('=?base64?');
  return plain ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

const TIMED_OUT = new Error('the call timed out');
const ABORTED = new Error('the call was aborted');

function expireDeadlines(client: McpClient): void {
  client.expireDeadlines();
}

function abortError(): Error {
  const error = new Error('the call was aborted');
  error.name = 'AbortError';
  return error;
}
