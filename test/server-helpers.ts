/**
 * Real parts for the server's end-to-end tests: a small LightRAG-like upstream on node:http whose
 * behaviour the test switches, a Shield server on port 0 with its logs captured, and the two
 * official MCP SDK clients as independent callers.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { resolveConfig, startServer } from '../src/server/index.js';
import type { RunningServer, StartOptions } from '../src/server/index.js';

export type UpstreamMode = 'ok' | 'hang' | 'error500' | 'not_json' | 'reset' | 'status422';

export interface TestUpstream {
  url: string;
  mode: UpstreamMode;
  /** Requests that reached the upstream. */
  received: number;
  /** Requests whose connection closed before the upstream answered. */
  aborted: number;
  /** Bodies received, parsed. */
  bodies: unknown[];
  /** Headers of the last request. */
  lastHeaders: IncomingMessage['headers'];
  /** Resolves when `received` reaches n. */
  waitForRequests(n: number): Promise<void>;
  waitForAborts(n: number): Promise<void>;
  /** Answers every hung request successfully. */
  release(): void;
  close(): Promise<void>;
}

function waiter(read: () => number): { wait(n: number): Promise<void>; check(): void } {
  const waiting: Array<{ n: number; resolve: () => void }> = [];
  return {
    wait(n) {
      if (read() >= n) return Promise.resolve();
      return new Promise((resolve) => waiting.push({ n, resolve }));
    },
    check() {
      for (let i = waiting.length - 1; i >= 0; i--) {
        if (read() >= waiting[i]!.n) waiting.splice(i, 1)[0]!.resolve();
      }
    },
  };
}

/** Starts the upstream; pass `port` to come back on the address of one that was closed. */
export async function startUpstream(mode: UpstreamMode = 'ok', port = 0): Promise<TestUpstream> {
  const hung = new Set<ServerResponse>();
  const state: TestUpstream = {
    url: '',
    mode,
    received: 0,
    aborted: 0,
    bodies: [],
    lastHeaders: {},
    waitForRequests: (n) => received.wait(n),
    waitForAborts: (n) => aborted.wait(n),
    release: () => {
      for (const res of hung) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ response: 'released' }));
      }
      hung.clear();
    },
    close: async () => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const received = waiter(() => state.received);
  const aborted = waiter(() => state.aborted);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      state.received++;
      state.lastHeaders = req.headers;
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString() || 'null');
      } catch {
        body = undefined;
      }
      state.bodies.push(body);
      received.check();
      const query = (body as { query?: string } | undefined)?.query;
      switch (state.mode) {
        case 'ok':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ response: `answer to ${query}`, references: [] }));
          return;
        case 'error500':
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ detail: 'LLM backend unavailable' }));
          return;
        case 'status422':
          res.writeHead(422, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ detail: [{ msg: 'field required' }] }));
          return;
        case 'not_json':
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('<html>oops</html>');
          return;
        case 'reset':
          req.socket.destroy();
          return;
        case 'hang':
          hung.add(res);
          res.on('close', () => {
            hung.delete(res);
            if (!res.writableEnded) {
              state.aborted++;
              aborted.check();
            }
          });
          return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

/** A URL on which nothing listens (connection refused). */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export interface TestServer extends RunningServer {
  logs: Array<Record<string, unknown>>;
}

/** Starts Shield on 127.0.0.1:0 from a config-file-shaped object (snake_case), logs captured as JSON. */
export async function startShield(input: Record<string, unknown>, options: StartOptions = {}): Promise<TestServer> {
  const logs: Array<Record<string, unknown>> = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const server = input.server as Record<string, unknown> | undefined;
  const log = input.log as Record<string, unknown> | undefined;
  const config = resolveConfig({ ...input, server: { port: 0, ...server }, log: { level: 'debug', ...log } }, { env: {} });
  const running = await startServer(config, { logStream, ...options });
  return Object.assign(running, { logs });
}

/** A config with one upstream `orchestrator` at `url` (the default lightrag_query tool). */
export function orchestratorConfig(url: string, upstream: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) {
  return { upstreams: { orchestrator: { url, ...upstream } }, ...rest };
}

export type Era = 'v1' | 'v2-legacy' | 'v2-modern';
export const ERAS: Era[] = ['v1', 'v2-legacy', 'v2-modern'];

export interface AnyClient {
  listTools(): Promise<{ tools: Array<{ name: string; inputSchema: unknown }> }>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }, options?: { signal?: AbortSignal; timeout?: number }): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Connects one of the official SDK clients: v1 (2025 era), v2 speaking 2025, or v2 pinned to 2026-07-28. */
export async function connectClient(era: Era, url: string, headers: Record<string, string> = {}): Promise<AnyClient> {
  if (era === 'v1') {
    const client = new ClientV1({ name: 'test-v1', version: '1.0.0' });
    await client.connect(new TransportV1(new URL(url), { requestInit: { headers } }));
    // v1's callTool takes a result schema before the request options.
    return {
      listTools: () => client.listTools(),
      callTool: (params, options) => client.callTool(params, undefined, options),
      close: () => client.close(),
    } as AnyClient;
  }
  const client = new ClientV2(
    { name: 'test-v2', version: '1.0.0' },
    era === 'v2-modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : undefined,
  );
  await client.connect(new TransportV2(new URL(url), { requestInit: { headers } }));
  return client as unknown as AnyClient;
}

/** The `structuredContent.error` of a failed tool result. */
export function toolError(result: Record<string, unknown>): Record<string, unknown> {
  return (result.structuredContent as { error: Record<string, unknown> }).error;
}

/** A reply body: parsed JSON (loosely typed for assertions) or the raw text. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON-RPC shapes
export type RawBody = any;

/** POSTs raw text to an endpoint, returning status, headers and parsed (or raw) body. */
export async function rawPost(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: RawBody }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body,
  });
  const text = await response.text();
  let parsed: RawBody = text;
  try {
    parsed = JSON.parse(text) as RawBody;
  } catch {
    // keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Opens a 2025-era session by hand; returns its id. */
export async function openSession(url: string, headers: Record<string, string> = {}): Promise<string> {
  const reply = await rawPost(
    url,
    JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
    headers,
  );
  const id = reply.headers.get('mcp-session-id');
  if (!id) throw new Error(`initialize did not open a session: ${JSON.stringify(reply.body)}`);
  return id;
}
