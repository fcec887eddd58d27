/**
 * Real servers for the client and load tests: MCP servers built with the official SDKs (v1 stateful
 * and stateless, v2 with both eras), each with an `echo` tool and a breaker-like `lightrag_query`
 * tool plus a Shield-shaped `/health`; and a bare JSON-RPC endpoint with a latency you choose.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { Worker } from 'node:worker_threads';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { McpServer as McpServerV1 } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport as TransportV1 } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { McpServer as McpServerV2, createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';

export interface RunningServer {
  /** The MCP endpoint, `http://127.0.0.1:<port>/mcp`. */
  url: URL;
  port: number;
  close(): Promise<void>;
}

/**
 * A stand-in for Shield's guarded upstream: `down` makes calls fail after `failDelayMs` with
 * `orchestrator_error`; `failMax` consecutive failures open the circuit for `resetMs`, during which
 * calls fail at once with `circuit_breaker_error`. `/health` reports it as Shield does.
 */
export class FakeBreaker {
  down = false;
  latencyMs = 0;
  failDelayMs = 20;
  failMax = 5;
  resetMs = 60_000;
  failCounter = 0;
  openedAt: number | null = null;
  calls = 0;

  state(): 'closed' | 'open' | 'half_open' {
    if (this.openedAt === null) return 'closed';
    return Date.now() - this.openedAt >= this.resetMs ? 'half_open' : 'open';
  }

  async call(): Promise<{ content: Array<{ type: 'text'; text: string }>; isError?: boolean; structuredContent?: Record<string, unknown> }> {
    this.calls++;
    if (this.state() === 'open') {
      const retry = this.resetMs - (Date.now() - (this.openedAt as number));
      const error = {
        type: 'circuit_breaker_error',
        upstream: 'orchestrator',
        message: "circuit breaker 'orchestrator' is open",
        circuit: { state: 'open', fail_counter: this.failCounter },
        retry_after_ms: Math.ceil(retry),
      };
      return { isError: true, content: [{ type: 'text', text: error.message }], structuredContent: { error } };
    }
    if (this.down) {
      await sleep(this.failDelayMs);
      this.failCounter++;
      if (this.failCounter >= this.failMax) this.openedAt = Date.now();
      const error = {
        type: 'orchestrator_error',
        reason: 'connection_refused',
        upstream: 'orchestrator',
        message: 'orchestrator refused the connection',
        circuit: { state: this.state(), fail_counter: this.failCounter },
      };
      return { isError: true, content: [{ type: 'text', text: error.message }], structuredContent: { error } };
    }
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    this.failCounter = 0;
    this.openedAt = null;
    return { content: [{ type: 'text', text: 'answer' }] };
  }

  health(): Record<string, unknown> {
    return {
      status: this.state() === 'closed' ? 'ok' : 'degraded',
      version: 'test',
      uptime_s: 1,
      circuit_breakers: {
        orchestrator: {
          state: this.state(),
          fail_counter: this.failCounter,
          fail_max: this.failMax,
          reset_timeout_s: this.resetMs / 1000,
          opened_at: this.openedAt === null ? null : new Date(this.openedAt).toISOString(),
          retry_after_ms: this.openedAt === null ? 0 : Math.max(0, this.resetMs - (Date.now() - this.openedAt)),
          in_flight: 0,
          queued: 0,
        },
      },
    };
  }
}

const queryShape = { query: z.string(), mode: z.string().optional() };

function registerV1Tools(server: McpServerV1, breaker: FakeBreaker): void {
  server.registerTool('echo', { description: 'Echoes text', inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  server.registerTool('lightrag_query', { description: 'Queries the orchestrator', inputSchema: queryShape }, () => breaker.call());
}

export type SdkFlavour = 'v1-stateful' | 'v1-stateless' | 'v2';

/** An SDK-built MCP server; `json` chooses JSON responses over SSE where the SDK offers the choice. */
export async function startSdkServer(flavour: SdkFlavour, options: { json?: boolean; breaker?: FakeBreaker } = {}): Promise<RunningServer & { sessions: () => number; deletes: () => number; forgetSessions: () => Promise<void> }> {
  const breaker = options.breaker ?? new FakeBreaker();
  const transports = new Map<string, TransportV1>();
  let deletes = 0;
  let mcp: (req: http.IncomingMessage, res: http.ServerResponse, body: unknown) => Promise<void>;
  if (flavour === 'v2') {
    const handler = toNodeHandler(
      createMcpHandler(() => {
        const server = new McpServerV2({ name: 'sdk-v2-test', version: '2.0.0' });
        server.registerTool('echo', { description: 'Echoes text', inputSchema: z.object({ text: z.string() }) }, async ({ text }) => ({
          content: [{ type: 'text', text }],
        }));
        server.registerTool('lightrag_query', { description: 'Queries the orchestrator', inputSchema: z.object(queryShape) }, () => breaker.call());
        return server;
      }),
    );
    mcp = async (req, res, body) => handler(req, res, body);
  } else if (flavour === 'v1-stateless') {
    mcp = async (req, res, body) => {
      const server = new McpServerV1({ name: 'sdk-v1-stateless', version: '1.0.0' });
      registerV1Tools(server, breaker);
      const transport = new TransportV1({ sessionIdGenerator: undefined, enableJsonResponse: options.json ?? false });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    };
  } else {
    mcp = async (req, res, body) => {
      const sessionId = req.headers['mcp-session-id'];
      if (req.method === 'DELETE') deletes++;
      let transport = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
      if (!transport) {
        if (typeof sessionId === 'string') {
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } }));
          return;
        }
        const server = new McpServerV1({ name: 'sdk-v1-stateful', version: '1.0.0' });
        registerV1Tools(server, breaker);
        const created = new TransportV1({
          sessionIdGenerator: () => randomUUID(),
          enableJsonResponse: options.json ?? false,
          onsessioninitialized: (id) => {
            transports.set(id, created);
          },
        });
        created.onclose = () => {
          if (created.sessionId) transports.delete(created.sessionId);
        };
        await server.connect(created);
        transport = created;
      }
      await transport.handleRequest(req, res, body);
    };
  }
  const server = http.createServer((req, res) => {
    readBody(req).then(
      (text) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (path === '/health') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(breaker.health()));
          return;
        }
        if (path !== '/mcp') {
          res.writeHead(404).end('not found');
          return;
        }
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          res.writeHead(400).end('bad json');
          return;
        }
        mcp(req, res, body).catch(() => {
          if (!res.headersSent) res.writeHead(500).end();
        });
      },
      () => res.destroy(),
    );
  });
  const running = await listen(server);
  return {
    ...running,
    sessions: () => transports.size,
    deletes: () => deletes,
    forgetSessions: async () => {
      for (const transport of [...transports.values()]) await transport.close();
      transports.clear();
    },
    close: async () => {
      for (const transport of transports.values()) await transport.close();
      await running.close();
    },
  };
}

export interface BareServerOptions {
  /** Latency of every tools/call, ms (default 0: answer at once). */
  fixedMs?: number;
  /** A stall: calls arriving within `durationMs` from `afterFirstCallMs` after the first call are all answered when it ends. */
  stall?: { afterFirstCallMs: number; durationMs: number };
  /** Answer tools/call as SSE (with a comment and a priming event) instead of JSON. */
  sse?: boolean;
}

/**
 * A bare JSON-RPC endpoint speaking just enough 2025-era MCP (initialize, notifications, tools/list,
 * tools/call), with no SDK overhead. It runs on its own worker thread, so its timers are not delayed
 * by the load generator under test: the reference for accuracy tests and the benchmark.
 */
export async function startBareServer(options: BareServerOptions = {}): Promise<RunningServer & { calls: () => number; cancels: () => number }> {
  const counters = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(BARE_SERVER_SOURCE, { eval: true, workerData: { options, counters } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    port,
    calls: () => Atomics.load(counters, 0),
    cancels: () => Atomics.load(counters, 1),
    close: async () => {
      await worker.terminate();
    },
  };
}

const BARE_SERVER_SOURCE = `
const http = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const { options, counters } = workerData;
let firstCall;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    if (req.method === 'DELETE') return void res.writeHead(200).end();
    if (req.method !== 'POST') return void res.writeHead(405).end();
    const message = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (message.id === undefined) {
      if (message.method === 'notifications/cancelled') Atomics.add(counters, 1, 1);
      return void res.writeHead(202).end();
    }
    const reply = (result) => {
      const json = JSON.stringify({ jsonrpc: '2.0', id: message.id, result });
      if (options.sse) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(': priming\\n\\nid: 1\\ndata:\\n\\nevent: message\\ndata: ' + json + '\\n\\n');
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
        res.end(json);
      }
    };
    switch (message.method) {
      case 'initialize':
        return reply({ protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'bare', version: '1' } });
      case 'tools/list':
        return reply({ tools: [{ name: 'echo', inputSchema: { type: 'object' } }] });
      case 'tools/call': {
        Atomics.add(counters, 0, 1);
        const now = performance.now();
        firstCall ??= now;
        let delay = options.fixedMs ?? 0;
        if (options.stall) {
          const start = firstCall + options.stall.afterFirstCallMs;
          const end = start + options.stall.durationMs;
          if (now >= start && now < end) delay = Math.max(delay, end - now);
        }
        const answer = () => reply({ content: [{ type: 'text', text: 'ok' }] });
        if (delay > 0) setTimeout(answer, delay);
        else answer();
        return;
      }
      default:
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'Method not found' } }));
    }
  });
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function listen(server: http.Server): Promise<RunningServer> {
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
