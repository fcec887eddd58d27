/**
 * What a healthy LightRAG answers: `POST /query {query, mode}` → `{response}`, `GET /health` →
 * `{status: "healthy"}`, and FastAPI-style errors (`422 {detail: [...]}` for a bad body,
 * `{detail: "..."}` otherwise). Replies are computed, not sent, so the simulator can delay them.
 */
export const QUERY_MODES = ['local', 'global', 'hybrid', 'naive', 'mix', 'bypass'] as const;
const DEFAULT_QUERY_MODE = 'mix';
export const MAX_QUERY_BODY_BYTES = 1024 * 1024;

export interface Reply {
  status: number;
  /** JSON text. */
  body: string;
}

const HEALTHY: Reply = { status: 200, body: JSON.stringify({ status: 'healthy', simulated: true }) };
const NOT_FOUND: Reply = { status: 404, body: JSON.stringify({ detail: 'Not Found' }) };
const METHOD_NOT_ALLOWED: Reply = { status: 405, body: JSON.stringify({ detail: 'Method Not Allowed' }) };
export const BODY_TOO_LARGE: Reply = { status: 413, body: JSON.stringify({ detail: 'Request body too large' }) };

export type Route = 'query' | 'health' | Reply;

/** Which handler a request goes to, or the error reply for a wrong path or method. */
export function route(method: string | undefined, url: string | undefined): Route {
  const raw = url ?? '/';
  const end = raw.indexOf('?');
  const path = end === -1 ? raw : raw.slice(0, end);
  if (path === '/query') return method === 'POST' ? 'query' : METHOD_NOT_ALLOWED;
  if (path === '/health') return method === 'GET' || method === 'HEAD' ? 'health' : METHOD_NOT_ALLOWED;
  return NOT_FOUND;
}

export function healthReply(): Reply {
  return HEALTHY;
}

function invalid(type: string, loc: Array<string | number>, msg: string, input: unknown): Reply {
  return { status: 422, body: JSON.stringify({ detail: [{ type, loc, msg, input }] }) };
}

/** FNV-1a, so the answer visibly depends on the question. */
function digest(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

export function queryReply(bodyText: string): Reply {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch (error) {
    return invalid('json_invalid', ['body', 0], `JSON decode error: ${(error as Error).message}`, {});
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return invalid('model_attributes_type', ['body'], 'Input should be a valid dictionary or object to extract fields from', body);
  }
  const { query, mode = DEFAULT_QUERY_MODE } = body as { query?: unknown; mode?: unknown };
  if (query === undefined) return invalid('missing', ['body', 'query'], 'Field required', body);
  if (typeof query !== 'string') return invalid('string_type', ['body', 'query'], 'Input should be a valid string', query);
  if (query.trim() === '') return invalid('string_too_short', ['body', 'query'], 'String should have at least 1 character', query);
  if (typeof mode !== 'string' || !(QUERY_MODES as readonly string[]).includes(mode)) {
    const expected = QUERY_MODES.map((m) => `'${m}'`).join(', ');
    return invalid('literal_error', ['body', 'mode'], `Input should be ${expected}`, mode);
  }
  const response = `Simulated ${mode} answer ${digest(`${mode}\n${query}`)} to: ${query}`;
  return { status: 200, body: JSON.stringify({ response }) };
}

export function errorReply(status: number): Reply {
  return { status, body: JSON.stringify({ detail: `Simulated orchestrator failure (HTTP ${status})` }) };
}

/** 200 with a body that claims to be JSON and is not. */
export const GARBAGE_BODY = '<html><body>502 Bad Gateway</body></html>\n{"response": "trunc';
