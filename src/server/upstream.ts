/**
 * HTTP calls to one upstream over an undici keep-alive pool. Every failure becomes an
 * OrchestratorError with its reason, the vocabulary the guard counts and the client reads.
 */
import { Pool } from 'undici';
import { DispatchedRequest } from '../common/dispatched-request.js';
import { OrchestratorError } from '../breaker/errors.js';
import type { OrchestratorReason } from '../breaker/errors.js';
import type { ToolConfig, UpstreamConfig } from './config.js';

/** What a successful upstream call yields: the result text, the parsed JSON answer, and that answer as it came. */
export interface UpstreamResult {
  text: string;
  body: unknown;
  /** The answer's JSON text, valid (it parsed), so a reply can carry it without serializing `body` again. */
  json: string;
}

export interface Upstream {
  readonly name: string;
  call(tool: ToolConfig, args: Record<string, unknown>, signal: AbortSignal): Promise<UpstreamResult>;
  close(): Promise<void>;
}

const ERROR_DETAIL_LIMIT = 200;
const PLACEHOLDER = /\{\{\s*[\w.-]+\s*\}\}/;

const NETWORK_REASONS: Record<string, OrchestratorReason> = {
  ECONNREFUSED: 'connection_refused',
  ENOTFOUND: 'connection_refused',
  EAI_AGAIN: 'connection_refused',
  EHOSTUNREACH: 'connection_refused',
  ENETUNREACH: 'connection_refused',
  ECONNRESET: 'connection_reset',
  EPIPE: 'connection_reset',
  UND_ERR_SOCKET: 'connection_reset',
  UND_ERR_CLOSED: 'connection_reset',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  ETIMEDOUT: 'timeout',
};

type Render = (args: Record<string, unknown>) => unknown;

/**
 * Compiles a body template once: a string `{{arg}}` becomes the argument's value (absent → the key
 * is dropped), `{{arg}}` inside a longer string is replaced by its text, anything else is literal.
 */
export function compileTemplate(template: unknown): Render {
  if (typeof template === 'string') {
    const whole = /^\{\{\s*([\w.-]+)\s*\}\}$/.exec(template);
    if (whole) {
      const name = whole[1]!;
      return (args) => args[name];
    }
    if (!PLACEHOLDER.test(template)) return () => template;
    return (args) => template.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (_m, name: string) => String(args[name] ?? ''));
  }
  if (Array.isArray(template)) {
    const items = template.map(compileTemplate);
    return (args) => items.map((render) => render(args)).filter((value) => value !== undefined);
  }
  if (template !== null && typeof template === 'object') {
    const fields = Object.entries(template).map(([key, value]) => [key, compileTemplate(value)] as const);
    return (args) => {
      const out: Record<string, unknown> = {};
      for (const [key, render] of fields) {
        const value = render(args);
        if (value !== undefined) out[key] = value;
      }
      return out;
    };
  }
  return () => template;
}

/** A tool's request, prepared once: the template is walked per call only when it has placeholders. */
interface PreparedRequest {
  body(args: Record<string, unknown>): unknown;
  path(args: Record<string, unknown>): string;
}

function prepare(tool: ToolConfig): PreparedRequest {
  const fixedPath = !PLACEHOLDER.test(tool.path);
  return {
    body: tool.body === undefined ? (args) => args : compileTemplate(tool.body),
    path: fixedPath ? () => tool.path : (args) => renderPath(tool.path, args),
  };
}

function renderPath(path: string, args: Record<string, unknown>): string {
  return path.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (_m, name: string) => encodeURIComponent(String(args[name] ?? '')));
}

function pick(body: unknown, field: string): unknown {
  let value = body;
  for (const key of field.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function detailOf(text: string): string {
  let detail = text.trim();
  try {
    const parsed = JSON.parse(detail) as unknown;
    const inner = pick(parsed, 'detail') ?? pick(parsed, 'error') ?? pick(parsed, 'message');
    if (inner !== undefined) detail = typeof inner === 'string' ? inner : JSON.stringify(inner);
  } catch {
    // not JSON: the raw text is the detail
  }
  detail = detail.replace(/\s+/g, ' ');
  return detail.length > ERROR_DETAIL_LIMIT ? `${detail.slice(0, ERROR_DETAIL_LIMIT)}…` : detail;
}

/** An upstream answer: its status and its whole body as text. */
class UpstreamRequest extends DispatchedRequest<{ statusCode: number; text: string }> {
  protected finish(): { statusCode: number; text: string } {
    return { statusCode: this.statusCode, text: this.text() };
  }
}

export function createUpstream(config: UpstreamConfig): Upstream {
  const origin = new URL(config.url);
  const basePath = origin.pathname.replace(/\/+$/, '');
  const pool = new Pool(origin.origin, {
    connections: config.connections,
    keepAliveTimeout: 30_000,
    // The guard owns the deadline; undici's own timers would only race it.
    headersTimeout: config.timeoutMs > 0 ? 0 : 300_000,
    bodyTimeout: config.timeoutMs > 0 ? 0 : 300_000,
  });
  const baseHeaders: Record<string, string> = { accept: 'application/json', ...config.headers };
  const jsonHeaders: Record<string, string> = { ...baseHeaders, 'content-type': 'application/json' };
  const prepared = new WeakMap<ToolConfig, PreparedRequest>();
  const fail = (reason: OrchestratorReason, message: string, options: { status?: number; cause?: unknown } = {}) =>
    new OrchestratorError(reason, message, { upstream: config.name, ...options });

  async function call(tool: ToolConfig, args: Record<string, unknown>, signal: AbortSignal): Promise<UpstreamResult> {
    let request = prepared.get(tool);
    if (!request) {
      request = prepare(tool);
      prepared.set(tool, request);
    }
    const hasBody = tool.method !== 'GET' && tool.method !== 'DELETE';
    let path = basePath + request.path(args);
    let body: string | undefined;
    if (hasBody) {
      body = JSON.stringify(request.body(args));
    } else if (tool.body === undefined) {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(args)) {
        if (value !== undefined) query.set(key, typeof value === 'string' ? value : JSON.stringify(value));
      }
      const text = query.toString();
      if (text !== '') path += (path.includes('?') ? '&' : '?') + text;
    }
    if (signal.aborted) throw signal.reason;
    // Not Pool.request(): see DispatchedRequest. The caller's abort settles the call at once, queued
    // or not, and the listener comes off before the call returns, so the caller can reuse its controller.
    let response: { statusCode: number; text: string };
    try {
      response = await new UpstreamRequest()
        .dispatch(pool, { method: tool.method, path, headers: hasBody ? jsonHeaders : baseHeaders, body })
        .abortingOn(signal);
    } catch (error) {
      throw mapNetworkError(error, signal);
    }
    const text = response.text;
    if (response.statusCode < 200 || response.statusCode >= 300) {
      const detail = detailOf(text);
      throw fail('http_status', `${config.name} answered HTTP ${response.statusCode}${detail ? `: ${detail}` : ''}`, {
        status: response.statusCode,
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw fail('invalid_response', `${config.name} answered with a body that is not JSON`);
    }
    const value = pick(parsed, tool.responseField);
    if (value === undefined || value === null) {
      throw fail('invalid_response', `${config.name}'s answer has no field '${tool.responseField}'`);
    }
    return { text: typeof value === 'string' ? value : JSON.stringify(value), body: parsed, json: text };
  }

  function mapNetworkError(error: unknown, signal: AbortSignal): unknown {
    // An abort (deadline or caller) is the guard's to classify.
    if (signal.aborted) return signal.reason ?? error;
    const code = (error as { code?: string })?.code ?? '';
    const reason = NETWORK_REASONS[code] ?? 'connection_reset';
    const what =
      reason === 'connection_refused'
        ? `cannot connect to ${config.name} at ${origin.host}`
        : reason === 'timeout'
          ? `${config.name} did not answer in time`
          : `the connection to ${config.name} broke`;
    return fail(reason, `${what} (${code || (error as Error)?.message || 'unknown error'})`, { cause: error });
  }

  return {
    name: config.name,
    call,
    close: async () => {
      await pool.close().catch(() => pool.destroy());
    },
  };
}
