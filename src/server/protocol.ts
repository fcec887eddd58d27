/**
 * The MCP endpoint's JSON-RPC layer, for both protocol eras, independent of node:http.
 *
 * - 2025 era (2025-03-26, 2025-06-18, 2025-11-25): `initialize` opens a session (`Mcp-Session-Id`),
 *   every later message names it; unknown session → 404; notifications → 202.
 * - 2026-07-28: no session; every request carries the `_meta` envelope and the `MCP-Protocol-Version`,
 *   `Mcp-Method` (and for tools/call `Mcp-Name`) headers, which must agree with the body.
 *
 * Messages are validated with the MCP SDK's own zod schemas (`@modelcontextprotocol/core`).
 */
import {
  CallToolRequestSchema,
  CancelledNotificationSchema,
  InitializeRequestSchema,
  JSONRPCNotificationSchema,
  JSONRPCRequestSchema,
} from '@modelcontextprotocol/core';
import { ControllerPool } from '../breaker/controller-pool.js';
import type { Guard } from '../breaker/types.js';
import { isRecord } from '../common/is-record.js';
import type { Logger } from './logger.js';
import type { ServerMetrics } from './metrics.js';
import type { SessionStore } from './sessions.js';
import { CallCancelledError, callUpstream, prepareCall } from './tool-call.js';
import type { ToolCallOutcome } from './tool-call.js';
import type { Tool } from './tools.js';
import type { Upstream } from './upstream.js';

export const MODERN_PROTOCOL_VERSION = '2026-07-28';
export const LEGACY_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;
const LATEST_LEGACY = LEGACY_PROTOCOL_VERSIONS[0];

const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
const META_SERVER_INFO = 'io.modelcontextprotocol/serverInfo';

export const JSONRPC = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** The SDKs' "bad request" code for transport-level problems. */
  badRequest: -32000,
  sessionNotFound: -32001,
  requestCancelled: -32800,
  headerMismatch: -32020,
  unsupportedProtocolVersion: -32022,
} as const;

type RequestId = string | number;

/** What the HTTP layer writes back: `body` to serialize, or `json` already serialized; neither means no body (202). */
export interface Reply {
  status: number;
  body?: unknown;
  json?: string;
  headers?: Record<string, string>;
}

export interface IncomingPost {
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  message: unknown;
  /** Registers what to do if the HTTP client goes away before the reply (one listener per request). */
  onDisconnect(listener: () => void): void;
  /** performance.now() when the whole request had arrived. */
  startedAt: number;
}

export interface EndpointDeps {
  tools: ReadonlyMap<string, Tool>;
  guards: ReadonlyMap<string, Guard>;
  upstreams: ReadonlyMap<string, Upstream>;
  sessions: SessionStore;
  metrics: ServerMetrics;
  logger: Logger;
  serverInfo: { name: string; version: string };
}

export function rpcError(status: number, id: RequestId | null, code: number, message: string, data?: unknown): Reply {
  const error: Record<string, unknown> = { code, message };
  if (data !== undefined) error.data = data;
  return { status, body: { jsonrpc: '2.0', id, error } };
}

function rpcResult(id: RequestId, result: unknown, headers?: Record<string, string>): Reply {
  const reply: Reply = { status: 200, body: { jsonrpc: '2.0', id, result } };
  if (headers) reply.headers = headers;
  return reply;
}

function headerMismatch(id: RequestId, text: string): Reply {
  return rpcError(400, id, JSONRPC.headerMismatch, `Bad Request: the request headers and body disagree: ${text}`);
}

/** A 2026-07-28 result carries `resultType` and the server's `_meta`; a 2025 result is bare. */
function finishResult(id: RequestId, result: Record<string, unknown>, modernMeta: Record<string, unknown> | undefined): Reply {
  return rpcResult(id, modernMeta ? { ...result, resultType: 'complete', _meta: modernMeta } : result);
}

/** A tools/call reply around its already serialized result, in the field order of `finishResult`'s. */
function toolResultReply(id: RequestId, resultJson: string, modernMetaJson: string | undefined): Reply {
  // Every result is a non-empty object, so the envelope's fields go before its closing brace.
  const result = modernMetaJson === undefined ? resultJson : `${resultJson.slice(0, -1)},"resultType":"complete","_meta":${modernMetaJson}}`;
  return { status: 200, json: `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${result}}` };
}

function header(headers: IncomingPost['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The JSON-RPC request envelope, checked by hand on the hot path: exactly what JSONRPCRequestSchema
 * accepts for these four fields. Anything else goes through the SDK schema for its precise error;
 * each method's params are validated by the SDK schema of that method.
 */
function isRequestEnvelope(message: Record<string, unknown>): boolean {
  const { id, params } = message;
  return (
    message.jsonrpc === '2.0' &&
    typeof message.method === 'string' &&
    (typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id))) &&
    (params === undefined || isRecord(params))
  );
}

/** tools/call params as CallToolRequestSchema accepts them, checked by hand on the hot path (the schema names what is wrong otherwise). */
function isCallToolParams(params: unknown): params is { name: string; arguments?: Record<string, unknown> } {
  return (
    isRecord(params) &&
    typeof params.name === 'string' &&
    (params.arguments === undefined || isRecord(params.arguments)) &&
    (params._meta === undefined || isRecord(params._meta)) &&
    params.task === undefined
  );
}

function envelopeVersion(params: unknown): unknown {
  if (!isRecord(params) || !isRecord(params._meta)) return undefined;
  return params._meta[META_PROTOCOL_VERSION];
}

/** `Mcp-Name` may carry a `=?base64?...?=` sentinel for names that are not plain header text. */
function decodeNameHeader(value: string): string | undefined {
  const trimmed = value.trim();
  const sentinel = /^=\?base64\?(.*)\?=$/.exec(trimmed);
  if (!sentinel) return trimmed;
  try {
    return Buffer.from(sentinel[1]!, 'base64').toString('utf8');
  } catch {
    return undefined;
  }
}

export class McpEndpoint {
  /** Calls that a `notifications/cancelled` may abort, keyed by session (or era) and request id. */
  private readonly inFlight = new Map<string, AbortController>();
  private readonly toolList: unknown[];
  /** Each upstream call's controller, reused across calls: see ControllerPool. */
  private readonly controllers = new ControllerPool();
  /** The `_meta` of every 2026-07-28 result, and its serialized form for tools/call replies. */
  private readonly modernMeta: Record<string, unknown>;
  private readonly modernMetaJson: string;

  constructor(private readonly deps: EndpointDeps) {
    this.toolList = [...deps.tools.values()].map((tool) => tool.descriptor);
    this.modernMeta = { [META_SERVER_INFO]: deps.serverInfo };
    this.modernMetaJson = JSON.stringify(this.modernMeta);
  }

  get inFlightCalls(): number {
    return this.inFlight.size;
  }

  /** Aborts every call in flight (shutdown after the grace period). */
  abortAll(): void {
    for (const controller of this.inFlight.values()) controller.abort(new CallCancelledError('the server is shutting down'));
  }

  /** Only a tools/call waits; everything else answers synchronously (each async layer costs microtask hops per request). */
  post(incoming: IncomingPost): Reply | Promise<Reply> {
    const { message } = incoming;
    if (Array.isArray(message)) {
      return rpcError(400, null, JSONRPC.invalidRequest, 'Invalid Request: JSON-RPC batches are not supported; send one message per POST');
    }
    if (!isRecord(message)) return rpcError(400, null, JSONRPC.invalidRequest, 'Invalid Request: expected a JSON-RPC message object');
    if ('method' in message && 'id' in message) {
      if (!isRequestEnvelope(message)) {
        const request = JSONRPCRequestSchema.safeParse(message);
        if (!request.success) return this.invalidMessage(message, request.error.issues[0]);
      }
      return this.request(message as { id: RequestId; method: string; params?: Record<string, unknown> }, incoming);
    }
    if ('method' in message) {
      const notification = JSONRPCNotificationSchema.safeParse(message);
      if (!notification.success) return this.invalidMessage(message, notification.error.issues[0]);
      return this.notification(notification.data as { method: string; params?: Record<string, unknown> }, incoming);
    }
    if ('result' in message || 'error' in message) {
      // We never send requests to clients, so a response has nothing to answer.
      return { status: 202 };
    }
    return rpcError(400, null, JSONRPC.invalidRequest, "Invalid Request: a JSON-RPC message needs a 'method' (or 'result'/'error')");
  }

  /** DELETE /mcp: ends a 2025-era session. */
  delete(headers: IncomingPost['headers']): Reply {
    const id = header(headers, 'mcp-session-id');
    if (!id) return rpcError(400, null, JSONRPC.badRequest, 'Bad Request: Mcp-Session-Id header is required');
    if (!this.deps.sessions.delete(id)) return rpcError(404, null, JSONRPC.sessionNotFound, 'Session not found');
    return { status: 200 };
  }

  private invalidMessage(message: Record<string, unknown>, issue: { path: PropertyKey[]; message: string } | undefined): Reply {
    const id = typeof message.id === 'string' || typeof message.id === 'number' ? message.id : null;
    const where = issue && issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
    return rpcError(400, id, JSONRPC.invalidRequest, `Invalid Request: ${where}${issue?.message ?? 'not a JSON-RPC 2.0 message'}`);
  }

  private request(
    request: { id: RequestId; method: string; params?: Record<string, unknown> },
    incoming: IncomingPost,
  ): Reply | Promise<Reply> {
    const claimed = envelopeVersion(request.params);
    const headerVersion = header(incoming.headers, 'mcp-protocol-version');
    if (claimed !== undefined) return this.modernRequest(request, claimed, headerVersion, incoming);
    if (headerVersion === MODERN_PROTOCOL_VERSION) {
      return rpcError(
        400,
        request.id,
        JSONRPC.invalidParams,
        `Invalid params: the MCP-Protocol-Version header names ${MODERN_PROTOCOL_VERSION}, but params._meta lacks the required '${META_PROTOCOL_VERSION}' envelope key`,
      );
    }
    if (request.method === 'initialize') return this.initialize(request);
    if (headerVersion !== undefined && !(LEGACY_PROTOCOL_VERSIONS as readonly string[]).includes(headerVersion)) {
      return rpcError(
        400,
        request.id,
        JSONRPC.badRequest,
        `Bad Request: unsupported MCP-Protocol-Version ${headerVersion}; supported: ${[MODERN_PROTOCOL_VERSION, ...LEGACY_PROTOCOL_VERSIONS].join(', ')}`,
      );
    }
    const sessionId = header(incoming.headers, 'mcp-session-id');
    if (!sessionId) {
      return rpcError(400, request.id, JSONRPC.badRequest, 'Bad Request: Mcp-Session-Id header is required (send initialize first)');
    }
    if (!this.deps.sessions.touch(sessionId)) {
      return rpcError(404, request.id, JSONRPC.sessionNotFound, 'Session not found');
    }
    return this.dispatch(request, sessionId, incoming, undefined);
  }

  private modernRequest(
    request: { id: RequestId; method: string; params?: Record<string, unknown> },
    claimed: unknown,
    headerVersion: string | undefined,
    incoming: IncomingPost,
  ): Reply | Promise<Reply> {
    if (claimed !== MODERN_PROTOCOL_VERSION) {
      return rpcError(400, request.id, JSONRPC.unsupportedProtocolVersion, `Unsupported protocol version ${String(claimed)}`, {
        supported: [MODERN_PROTOCOL_VERSION],
        requested: claimed,
      });
    }
    const mismatch = headerMismatch.bind(undefined, request.id);
    if (headerVersion === undefined) return mismatch('the required MCP-Protocol-Version header is absent');
    if (headerVersion !== claimed) {
      return mismatch(`the body envelope names protocol version ${claimed} but the MCP-Protocol-Version header names ${headerVersion}`);
    }
    const methodHeader = header(incoming.headers, 'mcp-method');
    if (methodHeader === undefined) return mismatch(`the body names method ${request.method} but the required Mcp-Method header is absent`);
    if (methodHeader !== request.method) {
      return mismatch(`the body names method ${request.method} but the Mcp-Method header names ${methodHeader}`);
    }
    if (request.method === 'tools/call' && typeof request.params?.name === 'string') {
      const nameHeader = header(incoming.headers, 'mcp-name');
      if (nameHeader === undefined) return mismatch(`the body carries params.name="${request.params.name}" but the required Mcp-Name header is absent`);
      const decoded = decodeNameHeader(nameHeader);
      if (decoded !== request.params.name) {
        return mismatch(`the body carries params.name="${request.params.name}" but the Mcp-Name header names "${nameHeader}"`);
      }
    }
    return this.dispatch(request, undefined, incoming, this.modernMeta);
  }

  private initialize(request: { id: RequestId; method: string; params?: Record<string, unknown> }): Reply {
    const parsed = InitializeRequestSchema.safeParse(request);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return rpcError(200, request.id, JSONRPC.invalidParams, `Invalid params: ${issue?.path.map(String).join('.')}: ${issue?.message}`);
    }
    const requested = parsed.data.params.protocolVersion;
    const version = (LEGACY_PROTOCOL_VERSIONS as readonly string[]).includes(requested) ? requested : LATEST_LEGACY;
    const session = this.deps.sessions.create(version);
    return rpcResult(
      request.id,
      {
        protocolVersion: version,
        capabilities: { tools: { listChanged: false } },
        serverInfo: this.deps.serverInfo,
        instructions: 'Every tool call goes through a bulkhead, a circuit breaker and a timeout; failures carry structuredContent.error.',
      },
      { 'mcp-session-id': session.id },
    );
  }

  private dispatch(
    request: { id: RequestId; method: string; params?: Record<string, unknown> },
    sessionId: string | undefined,
    incoming: IncomingPost,
    modernMeta: Record<string, unknown> | undefined,
  ): Reply | Promise<Reply> {
    switch (request.method) {
      case 'ping':
        return finishResult(request.id, {}, modernMeta);
      case 'server/discover':
        if (!modernMeta) break;
        return finishResult(request.id, {
          supportedVersions: [MODERN_PROTOCOL_VERSION],
          capabilities: { tools: { listChanged: false } },
          ttlMs: 0,
          cacheScope: 'private',
        }, modernMeta);
      case 'tools/list':
        return finishResult(request.id, modernMeta ? { tools: this.toolList, ttlMs: 0, cacheScope: 'private' } : { tools: this.toolList }, modernMeta);
      case 'tools/call':
        return this.toolsCall(request, sessionId, incoming, modernMeta);
      case 'initialize':
        return rpcError(400, request.id, JSONRPC.invalidRequest, `Invalid Request: initialize is not part of protocol revision ${MODERN_PROTOCOL_VERSION}`);
      default:
        break;
    }
    return rpcError(200, request.id, JSONRPC.methodNotFound, `Method not found: ${request.method}`);
  }

  /** Synchronous unless the call goes to the upstream: a fast-fail costs no promise and no abort signal. */
  private toolsCall(
    request: { id: RequestId; method: string; params?: Record<string, unknown> },
    sessionId: string | undefined,
    incoming: IncomingPost,
    modernMeta: Record<string, unknown> | undefined,
  ): Reply | Promise<Reply> {
    let params: { name: string; arguments?: Record<string, unknown> };
    if (isCallToolParams(request.params)) {
      params = request.params;
    } else {
      const parsed = CallToolRequestSchema.safeParse(request);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return rpcError(200, request.id, JSONRPC.invalidParams, `Invalid params: ${issue?.path.map(String).join('.')}: ${issue?.message}`);
      }
      params = parsed.data.params;
    }
    const tool = this.deps.tools.get(params.name);
    if (!tool) {
      return rpcError(200, request.id, JSONRPC.invalidParams, `Unknown tool: ${params.name}`, { available: [...this.deps.tools.keys()] });
    }
    const guard = this.deps.guards.get(tool.config.upstream)!;
    const prepared = prepareCall(tool, params.arguments, guard, tool.config.upstream);
    if ('settled' in prepared) return this.finishCall(request.id, tool, prepared.settled, incoming.startedAt, modernMeta);
    return this.forward(request.id, sessionId, incoming, modernMeta, tool, guard, prepared.args);
  }

  /** The upstream call, cancellable by `notifications/cancelled` and by the client going away. */
  private async forward(
    id: RequestId,
    sessionId: string | undefined,
    incoming: IncomingPost,
    modernMeta: Record<string, unknown> | undefined,
    tool: Tool,
    guard: Guard,
    args: Record<string, unknown>,
  ): Promise<Reply> {
    const upstream = this.deps.upstreams.get(tool.config.upstream)!;
    const key = `${sessionId ?? '-'}\u0000${String(id)}`;
    const controller = this.controllers.take();
    incoming.onDisconnect(() => controller.abort(new CallCancelledError('the client disconnected')));
    this.inFlight.set(key, controller);
    try {
      return this.finishCall(id, tool, await callUpstream(tool, args, guard, upstream, controller), incoming.startedAt, modernMeta);
    } catch (error) {
      if (!(error instanceof CallCancelledError)) throw error;
      this.deps.metrics.recorder(upstream.name, tool.config.name, 'cancelled').record((performance.now() - incoming.startedAt) / 1000);
      this.deps.logger.info({ event: 'tool_call_cancelled', tool: tool.config.name, upstream: upstream.name }, error.message);
      return rpcError(200, id, JSONRPC.requestCancelled, `Request cancelled: ${error.message}`);
    } finally {
      this.inFlight.delete(key);
      this.controllers.give(controller);
    }
  }

  /** Records the call's time and outcome, logs what an operator should see, and builds the reply. */
  private finishCall(
    id: RequestId,
    tool: Tool,
    { resultJson, outcome, error }: ToolCallOutcome,
    startedAt: number,
    modernMeta: Record<string, unknown> | undefined,
  ): Reply {
    const { name, upstream } = tool.config;
    this.deps.metrics.recorder(upstream, name, outcome).record((performance.now() - startedAt) / 1000);
    if (error && error.type === 'orchestrator_error') {
      this.deps.logger.warn({ event: 'tool_call_failed', tool: name, upstream, error }, error.message);
    } else if (this.deps.logger.isLevelEnabled('debug')) {
      this.deps.logger.debug({ event: 'tool_call', tool: name, upstream, outcome }, outcome);
    }
    return toolResultReply(id, resultJson, modernMeta === undefined ? undefined : this.modernMetaJson);
  }

  private notification(notification: { method: string; params?: Record<string, unknown> }, incoming: IncomingPost): Reply {
    const modern = envelopeVersion(notification.params) !== undefined;
    let sessionId: string | undefined;
    if (!modern) {
      sessionId = header(incoming.headers, 'mcp-session-id');
      if (!sessionId) return rpcError(400, null, JSONRPC.badRequest, 'Bad Request: Mcp-Session-Id header is required (send initialize first)');
      if (!this.deps.sessions.touch(sessionId)) return rpcError(404, null, JSONRPC.sessionNotFound, 'Session not found');
    }
    if (notification.method === 'notifications/cancelled') {
      const cancelled = CancelledNotificationSchema.safeParse(notification);
      const requestId = cancelled.success ? cancelled.data.params.requestId : undefined;
      if (requestId !== undefined) {
        const reason = cancelled.success ? cancelled.data.params.reason : undefined;
        this.inFlight
          .get(`${sessionId ?? '-'}\u0000${String(requestId)}`)
          ?.abort(new CallCancelledError(`the client cancelled the call${reason ? ` (${reason})` : ''}`));
      }
    }
    return { status: 202 };
  }
}
