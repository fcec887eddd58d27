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

export function writeReply(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string | number> = { ...reply.headers };
  if (reply.body === undefined) {
    headers['content-length'] = 0;
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body);
  headers['content-type'] = 'application/json';
  headers['content-length'] = Buffer.byteLength(text);
  res.writeHead(reply.status, headers);
  res.end(text);
}

type BodyResult = { ok: true; text: string } | { ok: false; reply: Reply };

// Hot-path code avoids named closures (`const f = () => ...`): under tsx each one costs a
// defineProperty call per request (esbuild's keepNames), and callbacks passed inline do not.
function tooLarge(limit: number): BodyResult {
  return {
    ok: false,
    reply: {
      ...rpcError(413, null, JSONRPC.invalidRequest, `Payload Too Large: the request body exceeds ${limit} bytes`),
      headers: { connection: 'close' },
    },
  };
}

function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    collectBody(req, limit, limit, (bound, error, body) => {
      if (error === undefined) resolve({ ok: true, text: body.toString('utf8') });
      else if (error instanceof BodyTooLargeError) resolve(tooLarge(bound));
      else resolve({ ok: false, reply: rpcError(400, null, JSONRPC.badRequest, 'Bad Request: the request body could not be read') });
    });
  });
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

  async function mcpPost(req: IncomingMessage, res: ServerResponse): Promise<Reply> {
    const contentType = req.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(contentType)) {
      req.resume();
      return rpcError(415, null, JSONRPC.badRequest, `Unsupported Media Type: Content-Type must be application/json (got '${contentType || 'none'}')`);
    }
    const accept = req.headers.accept;
    if (accept !== undefined && !/application\/json|text\/event-stream|\*\/\*|application\/\*/i.test(accept)) {
      req.resume();
      return rpcError(406, null, JSONRPC.badRequest, `Not Acceptable: Accept must allow application/json (got '${accept}')`);
    }
    const body = await readBody(req, settings.maxBodyBytes);
    if (!body.ok) return body.reply;
    // Server-side time runs from here: the whole request has arrived.
    const startedAt = performance.now();
    let message: unknown;
    try {
      message = JSON.parse(body.text);
    } catch (error) {
      return rpcError(400, null, JSONRPC.parseError, `Parse error: the body is not valid JSON (${(error as Error).message})`);
    }
    let onDisconnect: (() => void) | undefined;
    res.once('close', () => {
      if (!res.writableEnded) onDisconnect?.();
    });
    // `return await`: returning a promise from an async function costs two more microtask hops.
    return await deps.endpoint.post({
      headers: req.headers,
      message,
      startedAt,
      onDisconnect(listener) {
        onDisconnect = listener;
      },
    });
  }

  async function metricsReply(res: ServerResponse): Promise<Reply> {
    const text = await deps.metrics.text();
    res.writeHead(200, { 'content-type': deps.metrics.contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return { status: 200 };
  }

  /** Not async: only POST /mcp and /metrics wait, and every async layer costs microtask hops per request. */
  function route(req: IncomingMessage, res: ServerResponse): Reply | Promise<Reply> {
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
      if (method === 'POST') return mcpPost(req, res);
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

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (deps.isDraining()) {
      req.resume();
      writeReply(res, { status: 503, body: { error: 'the server is shutting down' }, headers: { connection: 'close' } });
      return;
    }
    deps.track(1);
    try {
      writeReply(res, await route(req, res));
    } catch (error) {
      deps.logger.error({ event: 'internal_error', err: error, method: req.method, url: req.url }, 'internal error');
      writeReply(res, rpcError(500, null, JSONRPC.internalError, 'Internal error'));
    } finally {
      deps.track(-1);
    }
  }

  return (req, res) => void handle(req, res);
}
