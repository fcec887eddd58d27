/** What the sim and chaos tests share: a LightRAG query as a real caller makes it, and how it ended. */
import { request } from 'undici';
import type { Dispatcher } from 'undici';

export const QUERY_BODY = JSON.stringify({ query: 'test', mode: 'hybrid' });

export interface QueryOptions {
  dispatcher?: Dispatcher;
  /** Client-side timeout for the response head and body. */
  timeoutMs?: number;
  body?: string;
  path?: string;
  method?: 'GET' | 'POST' | 'PUT';
}

/**
 * One call, classified as the guard upstream of it would see it: `200`, `503`, ..., or
 * `ECONNREFUSED`, `ECONNRESET`, `timeout`, `closed` (the connection ended), `not-json` (a 200 whose
 * body does not parse).
 */
export async function outcome(url: string, options: QueryOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  try {
    const response = await request(`${url}${options.path ?? '/query'}`, {
      method: options.method ?? 'POST',
      headers: { 'content-type': 'application/json' },
      body: options.method === 'GET' ? undefined : (options.body ?? QUERY_BODY),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
    const text = await response.body.text();
    if (response.statusCode === 200) {
      try {
        JSON.parse(text);
      } catch {
        return 'not-json';
      }
    }
    return String(response.statusCode);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
    if (code === 'UND_ERR_SOCKET') return 'closed';
    return code ?? String(error);
  }
}

/** The reply as text with its status, for comparing a direct call with a proxied one. */
export async function fetchText(url: string, options: QueryOptions = {}): Promise<{ status: number; body: string }> {
  const response = await request(`${url}${options.path ?? '/query'}`, {
    method: options.method ?? 'POST',
    headers: { 'content-type': 'application/json' },
    body: options.method === 'GET' ? undefined : (options.body ?? QUERY_BODY),
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
  });
  return { status: response.statusCode, body: await response.body.text() };
}
