/**
 * The HTTP front: routing, DNS-rebinding protection (Host and Origin), bearer auth, content type,
 * body size, and writing replies. Nothing here knows MCP beyond the status codes it must use.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Guard } from '../breaker/types.js';
import type { ServerSettings } from './config.js';
import type { Logger } from './logger.js';
import type { ServerMetrics } from './metrics.js';
import { adminAction, health, ready } from './operations.js';
import type { StateStoreStatus } from './redis-store.js';
import type { McpEndpoint, Reply } from './protocol.js';
import { JSONRPC, rpcError } from './protocol.js';
import { BodyTooLargeError, collectBody } from '../common/http-body.js';

export interface HttpDeps {
  settings: ServerSettings;
  endpoint: McpEndpoint;
  guards: ReadonlyMap<string, Guard>;
  metrics: ServerMetrics;
  logger: Logger;
  version: string;
  startedAt: number;
  /** The shared breaker state's status, when state is shared (`--state`). */
  stateStore?: () => StateStoreStatus;
  isDraining(): boolean;
  /** Counts requests being served, so shutdown can wait for them. */
  track(delta: 1 | -1): void;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]', '::1'];
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** Compares tokens in constant time (hashing first makes the lengths equal). */
function tokenMatcher(tokens: string[]): (presented: string) => boolean {
  const digests = tokens.map(digest);
  return (presented) => {
    const candidate = digest(presented);
    let found = false;
    for (const known of digests) found = timingSafeEqual(known, candidate) || found;
    return found;
  };
}

function bearer(req: IncomingMessage): string | undefined {
  const value = req.headers.authorization;
  if (!value) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(value.trim());
  return match ? match[1] : '';
}

function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1).toLowerCase();
  const colon = hostHeader.lastIndexOf(':');
  return (colon === -1 ? hostHeader : hostHeader.slice(0, colon)).toLowerCase();
}

function writeReply(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string | number> = { ...reply.headers };
  if (reply.body === undefined && reply.json === undefined) {
    headers['content-length'] = 0;
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const text = reply.json ?? JSON.stringify(reply.body);
  headers['content-type'] = 'application/json';
  headers['content-length'] = Buffer.byteLength(text);
  res.writeHead(reply.status, headers);
  res.end(text);
}

function tooLarge(limit: number): Reply {
  return {
    ...rpcError(413, null, JSONRPC.invalidRequest, `Payload Too Large: the request body exceeds ${limit} bytes`),
    headers: { connection: 'close' },
  };
}

export function createRequestHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { settings } = deps;
  const loopbackBind = LOOPBACK_HOSTS.has(settings.host);
  const allowedHosts = new Set([...LOOPBACK_NAMES, ...settings.allowedHosts.map((h) => h.toLowerCase())]);
  // Bound to a public address with no allow-list, the Host header cannot be predicted: accept any.
  const checkHost = loopbackBind || settings.allowedHosts.length > 0;
  const allowedOrigins = new Set([...LOOPBACK_NAMES, ...settings.allowedHosts, ...settings.allowedOrigins].map((h) => h.toLowerCase()));
  const authTokens = settings.authTokens.length > 0 ? tokenMatcher(settings.authTokens) : undefined;
  const adminToken = settings.adminToken ? tokenMatcher([settings.adminToken]) : undefined;

  function forbiddenHostOrOrigin(req: IncomingMessage): Reply | undefined {
    if (checkHost) {
      const host = req.headers.host;
      if (!host || !allowedHosts.has(hostnameOf(host))) {
        return rpcError(403, null, JSONRPC.badRequest, `Forbidden: Host header '${host ?? ''}' is not allowed (DNS rebinding protection; see server.allowed_hosts)`);
      }
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let hostname: string | undefined;
      try {
        hostname = new URL(origin).hostname.toLowerCase();
      } catch {
        hostname = undefined;
      }
      if (hostname === undefined || !allowedOrigins.has(hostname)) {
        return rpcError(403, null, JSONRPC.badRequest, `Forbidden: Origin '${origin}' is not allowed (see server.allowed_origins)`);
      }
    }
    return undefined;
  }

  function unauthorized(req: IncomingMessage, matcher: (token: string) => boolean, realm: string): Reply | undefined {
    const token = bearer(req);
    if (token !== undefined && token !== '' && matcher(token)) return undefined;
    const challenge = token === undefined ? `Bearer realm="${realm}"` : `Bearer realm="${realm}", error="invalid_token"`;
    const reply = rpcError(
      401,
      null,
      JSONRPC.badRequest,
      token === undefined ? 'Unauthorized: send Authorization: Bearer <token>' : 'Unauthorized: the bearer token is not valid',
    );
    reply.headers = { 'www-authenticate': challenge };
    return reply;
  }

  /**
   * POST /mcp answers by itself once the body has arrived. From the body's last byte to the reply,
   * a call that does not go upstream (a fast-fail, tools/list, a bad message) runs synchronously:
   * each promise on this path would cost microtask hops on every request.
   */
  function mcpPost(req: IncomingMessage, res: ServerResponse): void {
    const contentType = req.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(contentType)) {
      req.resume();
      respond(res, rpcError(415, null, JSONRPC.badRequest, `Unsupported Media Type: Content-Type must be application/json (got '${contentType || 'none'}')`));
      return;
    }
    const accept = req.headers.accept;
    if (accept !== undefined && !/application\/json|text\/event-stream|\*\/\*|application\/\*/i.test(accept)) {
      req.resume();
      respond(res, rpcError(406, null, JSONRPC.badRequest, `Not Acceptable: Accept must allow application/json (got '${accept}')`));
      return;
    }
    collectBody(req, settings.maxBodyBytes, res, onMcpBody);
  }

  function onMcpBody(res: ServerResponse, error: Error | undefined, body: Buffer): void {
    if (error !== undefined) {
      respond(res, error instanceof BodyTooLargeError ? tooLarge(settings.maxBodyBytes) : rpcError(400, null, JSONRPC.badRequest, 'Bad Request: the request body could not be read'));
      return;
    }
    // Server-side time runs from here: the whole request has arrived.
    const startedAt = performance.now();
    let message: unknown;
    try {
      message = JSON.parse(body.toString('utf8'));
    } catch (parseError) {
      respond(res, rpcError(400, null, JSONRPC.parseError, `Parse error: the body is not valid JSON (${(parseError as Error).message})`));
      return;
    }
    let answer: Reply | Promise<Reply>;
    try {
      answer = deps.endpoint.post({
        headers: res.req.headers,
        message,
        startedAt,
        onDisconnect(listener) {
          res.once('close', () => {
            if (!res.writableEnded) listener();
          });
        },
      });
    } catch (internal) {
      answer = internalError(res, internal);
    }
    respond(res, answer);
  }

  async function metricsReply(res: ServerResponse): Promise<Reply> {
    const text = await deps.metrics.text();
    res.writeHead(200, { 'content-type': deps.metrics.contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return { status: 200 };
  }

  /** The reply, now or promised; undefined when the route answers by itself (POST /mcp). */
  function route(req: IncomingMessage, res: ServerResponse): Reply | Promise<Reply> | undefined {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const method = req.method ?? 'GET';

    if (path === '/mcp') {
      const forbidden = forbiddenHostOrOrigin(req);
      if (forbidden) return forbidden;
      if (authTokens) {
        const denied = unauthorized(req, authTokens, 'shield');
        if (denied) return denied;
      }
      if (method === 'POST') {
        mcpPost(req, res);
        return undefined;
      }
      if (method === 'DELETE') return deps.endpoint.delete(req.headers);
      return {
        ...rpcError(405, null, JSONRPC.badRequest, `Method Not Allowed: ${method} /mcp; this server answers POST (and DELETE to end a session)`),
        headers: { allow: 'POST, DELETE' },
      };
    }
    if (path === '/health' || path === '/ready' || path === '/metrics') {
      if (method !== 'GET' && method !== 'HEAD') {
        return { status: 405, body: { error: `method ${method} not allowed on ${path}; use GET` }, headers: { allow: 'GET' } };
      }
      if (path === '/health') return { status: 200, body: health(deps.guards, deps.version, deps.startedAt, deps.stateStore?.()) };
      if (path === '/ready') return ready(deps.guards, deps.isDraining());
      return metricsReply(res);
    }
    if (adminToken && path.startsWith('/admin/')) {
      const forbidden = forbiddenHostOrOrigin(req);
      if (forbidden) return forbidden;
      const denied = unauthorized(req, adminToken, 'shield-admin');
      if (denied) return denied;
      const match = /^\/admin\/breakers\/([^/]+)\/([^/]+)$/.exec(path);
      if (!match) return { status: 404, body: { error: `no admin route ${path}; expected /admin/breakers/<upstream>/{open,close,reset}` } };
      if (method !== 'POST') return { status: 405, body: { error: `method ${method} not allowed; use POST` }, headers: { allow: 'POST' } };
      const reply = adminAction(deps.guards, decodeURIComponent(match[1]!), match[2]!);
      if (reply.status === 200) deps.logger.warn({ event: 'admin_action', upstream: match[1], action: match[2] }, `admin: ${match[2]} ${match[1]}`);
      return reply;
    }
    return { status: 404, body: { error: `not found: ${method} ${path}; routes: POST /mcp, GET /health, GET /ready, GET /metrics` } };
  }

  function internalError(res: ServerResponse, error: unknown): Reply {
    deps.logger.error({ event: 'internal_error', err: error, method: res.req.method, url: res.req.url }, 'internal error');
    return rpcError(500, null, JSONRPC.internalError, 'Internal error');
  }

  function finish(res: ServerResponse, reply: Reply): void {
    writeReply(res, reply);
    deps.track(-1);
  }

  /** Writes the reply now, or when its promise settles; every tracked request is answered exactly once. */
  function respond(res: ServerResponse, answer: Reply | Promise<Reply>): void {
    if (answer instanceof Promise) {
      answer.then(
        (reply) => finish(res, reply),
        (error: unknown) => finish(res, internalError(res, error)),
      );
    } else {
      finish(res, answer);
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    if (deps.isDraining()) {
      req.resume();
      writeReply(res, { status: 503, body: { error: 'the server is shutting down' }, headers: { connection: 'close' } });
      return;
    }
    deps.track(1);
    let answer: Reply | Promise<Reply> | undefined;
    try {
      answer = route(req, res);
    } catch (error) {
      answer = internalError(res, error);
    }
    if (answer !== undefined) respond(res, answer);
  }

  return handle;
}
