/**
 * `npm run bench -- server`: Shield's MCP server against references measured in the same run, all
 * calling the same zero-latency upstream. autocannon (10 keep-alive connections) drives each server,
 * which runs in its own child process; the upstream runs in another. Contenders are measured in
 * interleaved rounds (so that the shared machine's noise hits them alike) and each figure is the median.
 *
 * - healthy tools/call throughput vs a bare Node passthrough (http → undici → upstream, no MCP) [>= 0.6x]
 *   and vs the SDK v2 reference (a new McpServer per request via createMcpHandler) [>= 5x];
 * - circuit open: fast-fail p99 from Shield's own histogram [< 100 µs], and throughput vs a bare
 *   Node JSON-RPC echo server [>= 0.6x];
 * - RSS growth across 100,000 fast-fails and across 10,000 sessions opened and expired [< 50 MB each];
 * - for the simulator (issue 4): its own throughput vs Shield's [>= 2x].
 *
 * Run as `bench/server.ts --role <name> [upstream-url]`, the file is one of those child servers.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import type * as ServerModule from '../src/server/index.js';
import type * as SimModule from '../src/sim/index.js';
import { fromDist } from './dist.js';
import { median } from './median.js';

const CONNECTIONS = 10;
const DURATION_S = 2;
const ROUNDS = 5;
const WARMUP_S = 1;
const MB = 1024 * 1024;
/** Idle expiry for the sessions test: long enough that 10,000 initialize calls all stay open. */
const SESSION_IDLE_S = 6;

type Role = 'upstream' | 'shield' | 'shield-sessions' | 'passthrough' | 'sdk' | 'echo' | 'sim';

/** The compiled build, as users run it (bench/index.ts builds it when it is stale). */
const importServer = () => fromDist<typeof ServerModule>('server/index.js');
const importSim = () => fromDist<typeof SimModule>('sim/index.js');

const UPSTREAM_ANSWER = JSON.stringify({ response: 'ok', references: [] });

// ─── child roles ────────────────────────────────────────────────────────────────────────────────

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
    req.on('error', reject);
  });
}

async function listenPlain(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer({ keepAliveTimeout: 65_000 }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function startRole(role: Role, upstreamUrl: string): Promise<string> {
  switch (role) {
    case 'upstream':
      return listenPlain((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(UPSTREAM_ANSWER) });
          res.end(UPSTREAM_ANSWER);
        });
      });
    case 'passthrough': {
      const pool = new Pool(upstreamUrl, { connections: 128 });
      return listenPlain(async (req, res) => {
        const body = await readBody(req);
        const answer = await pool.request({ method: 'POST', path: '/query', headers: { 'content-type': 'application/json' }, body });
        const text = await answer.body.text();
        res.writeHead(answer.statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      });
    }
    case 'echo':
      return listenPlain(async (req, res) => {
        // An echo: the request's params come back as the result.
        const message = JSON.parse(await readBody(req)) as { id: unknown; params?: unknown };
        const text = JSON.stringify({ jsonrpc: '2.0', id: message.id, result: message.params ?? {} });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      });
    case 'sdk': {
      const { McpServer, createMcpHandler } = await import('@modelcontextprotocol/server');
      const { toNodeHandler } = await import('@modelcontextprotocol/node');
      const z = await import('zod');
      const pool = new Pool(upstreamUrl, { connections: 128 });
      const handler = toNodeHandler(
        createMcpHandler(() => {
          const server = new McpServer({ name: 'sdk-reference', version: '1.0.0' });
          server.registerTool(
            'lightrag_query',
            { description: 'query', inputSchema: z.object({ query: z.string(), mode: z.string().default('hybrid') }) },
            async ({ query, mode }) => {
              const answer = await pool.request({
                method: 'POST',
                path: '/query',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ query, mode }),
              });
              const body = (await answer.body.json()) as { response: string };
              return { content: [{ type: 'text', text: body.response }] };
            },
          );
          return server;
        }),
      );
      return listenPlain((req, res) => void handler(req, res));
    }
    case 'shield':
    case 'shield-sessions': {
      const { resolveConfig, startServer } = await importServer();
      const config = resolveConfig(
        {
          server: { port: 0, admin_token: 'bench', session_idle_timeout: role === 'shield-sessions' ? SESSION_IDLE_S : 1800 },
          log: { level: 'silent' },
          upstreams: { orchestrator: { url: upstreamUrl } },
        },
        { env: {} },
      );
      return (await startServer(config)).url;
    }
    case 'sim': {
      const { startSim } = await importSim();
      return (await startSim({ port: 0, controlPort: 0 })).url;
    }
  }
}


// ─── the driver ─────────────────────────────────────────────────────────────────────────────────

interface Child {
  url: string;
  process: ChildProcess;
  /** RSS and V8 heap in use, after a full GC. */
  memory(): Promise<{ rss: number; heapUsed: number }>;
}

async function child(role: Role, upstreamUrl = ''): Promise<Child> {
  const proc = fork(new URL(import.meta.url).pathname, ['--role', role, upstreamUrl], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    proc.once('message', (message: { url: string }) => resolve(message.url));
    proc.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
  return {
    url,
    process: proc,
    memory: () =>
      new Promise((resolve) => {
        proc.once('message', (message: { rss: number; heapUsed: number }) => resolve(message));
        proc.send('rss');
      }),
  };
}

const MODERN_HEADERS = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'lightrag_query' };
const ACCEPT = 'application/json, text/event-stream';

function callBody(modern = false): string {
  const params: Record<string, unknown> = { name: 'lightrag_query', arguments: { query: 'test', mode: 'hybrid' } };
  if (modern) {
    params._meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
  }
  return JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params });
}

interface Target {
  url: string;
  headers: Record<string, string>;
  body: string;
}

interface Throughput {
  rps: number;
  non2xx: number;
  errors: number;
}

async function load(target: Target, run: { duration: number } | { amount: number }): Promise<Throughput> {
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, ...target.headers },
    body: target.body,
    connections: CONNECTIONS,
    ...run,
  });
  return { rps: result.requests.average, non2xx: result.non2xx, errors: result.errors };
}


/** Warms every target up, then measures them in interleaved rounds; median req/s, summed non-2xx and errors. */
async function interleaved(targets: Target[]): Promise<Throughput[]> {
  for (const target of targets) await load(target, { duration: WARMUP_S });
  const samples = targets.map(() => ({ rps: [] as number[], non2xx: 0, errors: 0 }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, target] of targets.entries()) {
      const result = await load(target, { duration: DURATION_S });
      samples[i]!.rps.push(result.rps);
      samples[i]!.non2xx += result.non2xx;
      samples[i]!.errors += result.errors;
    }
  }
  return samples.map((sample) => ({ rps: median(sample.rps), non2xx: sample.non2xx, errors: sample.errors }));
}

async function post(target: Target): Promise<string> {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, ...target.headers },
    body: target.body,
  });
  return response.text();
}

/** Opens a 2025-era session on Shield and returns its id. */
async function session(url: string): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
    }),
  });
  await response.text();
  return response.headers.get('mcp-session-id') ?? '';
}

/** The upper bound of the histogram bucket holding the p-th percentile of `outcome`, in seconds. */
async function bucketPercentile(origin: string, outcome: string, p: number): Promise<{ le: number; count: number }> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const buckets: Array<{ le: number; cumulative: number }> = [];
  for (const line of text.split('\n')) {
    const match = /^shield_tool_call_duration_seconds_bucket\{le="([^"]+)",[^}]*outcome="([^"]+)"\} (\d+)/.exec(line);
    if (match && match[2] === outcome) buckets.push({ le: match[1] === '+Inf' ? Infinity : Number(match[1]), cumulative: Number(match[3]) });
  }
  const count = buckets.at(-1)?.cumulative ?? 0;
  const bucket = buckets.find((b) => b.cumulative >= (p / 100) * count);
  return { le: bucket?.le ?? Infinity, count };
}

async function sessionsOpen(origin: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  return Number(/^shield_mcp_sessions_open (\d+)$/m.exec(text)?.[1] ?? NaN);
}

interface Check {
  figure: string;
  detail: string;
  value: number;
  target: string;
  pass: boolean;
}

function ratioCheck(figure: string, value: number, reference: number, atLeast: number, unit = 'req/s'): Check {
  const ratio = value / reference;
  return {
    figure,
    detail: `${value.toFixed(0)} / ${reference.toFixed(0)} ${unit}`,
    value: ratio,
    target: `>= ${atLeast}x`,
    pass: ratio >= atLeast,
  };
}

function expect(condition: boolean, what: string): void {
  if (!condition) {
    console.error(`bench setup failed: ${what}`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const children: Child[] = [];
  const spawnChild = async (role: Role, upstreamUrl = '') => {
    const started = await child(role, upstreamUrl);
    children.push(started);
    return started;
  };
  const checks: Check[] = [];
  try {
    const upstream = await spawnChild('upstream');

    // Healthy tools/call.
    const shield = await spawnChild('shield', upstream.url);
    const shieldOrigin = new URL(shield.url).origin;
    const legacy: Target = { url: shield.url, headers: { 'mcp-session-id': await session(shield.url) }, body: callBody() };
    const modern: Target = { url: shield.url, headers: MODERN_HEADERS, body: callBody(true) };
    expect((await post(legacy)).includes('"text":"ok"'), 'Shield did not answer the healthy call');
    expect((await post(modern)).includes('"text":"ok"'), 'Shield did not answer the 2026-07-28 call');
    const passthrough = await spawnChild('passthrough', upstream.url);
    const passthroughTarget: Target = { url: `${passthrough.url}/query`, headers: {}, body: JSON.stringify({ query: 'test', mode: 'hybrid' }) };
    const sdk = await spawnChild('sdk', upstream.url);
    const sdkTarget: Target = { url: `${sdk.url}/mcp`, headers: { 'mcp-protocol-version': '2025-11-25' }, body: callBody() };
    expect((await post(sdkTarget)).includes('"text":"ok"'), 'the SDK reference did not answer');

    // The simulator is another engineer's (issue 4): measured when it is there and answers.
    const sim = await spawnChild('sim').catch(() => undefined);
    const simTarget: Target | undefined = sim && { url: `${sim.url}/query`, headers: {}, body: JSON.stringify({ query: 'test', mode: 'hybrid' }) };
    const simAnswers = simTarget !== undefined && (await post(simTarget).catch(() => '')).includes('response');

    const [shieldLegacy, shieldModern, bare, sdkRef, simRps] = (await interleaved(
      simAnswers ? [legacy, modern, passthroughTarget, sdkTarget, simTarget] : [legacy, modern, passthroughTarget, sdkTarget],
    )) as [Throughput, Throughput, Throughput, Throughput, Throughput | undefined];
    passthrough.process.kill();
    sdk.process.kill();
    sim?.process.kill();
    console.log(
      `healthy tools/call, ${CONNECTIONS} connections, median of ${ROUNDS} interleaved ${DURATION_S} s rounds (after ${WARMUP_S} s warm-up), req/s`,
    );
    console.log(`  shield, 2025 session          ${shieldLegacy.rps.toFixed(0).padStart(8)}   non-2xx ${shieldLegacy.non2xx}, errors ${shieldLegacy.errors}`);
    console.log(`  shield, 2026-07-28 envelope   ${shieldModern.rps.toFixed(0).padStart(8)}   non-2xx ${shieldModern.non2xx}, errors ${shieldModern.errors}`);
    console.log(`  bare passthrough (no MCP)     ${bare.rps.toFixed(0).padStart(8)}`);
    console.log(`  SDK v2 createMcpHandler       ${sdkRef.rps.toFixed(0).padStart(8)}   non-2xx ${sdkRef.non2xx}`);
    if (simRps) console.log(`  simulator POST /query direct  ${simRps.rps.toFixed(0).padStart(8)}   non-2xx ${simRps.non2xx}`);
    else console.log('  simulator                     not measured: dist/sim did not start or answer');
    checks.push(ratioCheck('healthy: shield vs bare passthrough', shieldLegacy.rps, bare.rps, 0.6));
    checks.push(ratioCheck('healthy: shield vs SDK v2 reference', shieldLegacy.rps, sdkRef.rps, 5));

    // Circuit open.
    const opened = await fetch(`${shieldOrigin}/admin/breakers/orchestrator/open`, { method: 'POST', headers: { authorization: 'Bearer bench' } });
    expect(opened.status === 200, 'could not force the circuit open');
    expect((await post(legacy)).includes('circuit_breaker_error'), 'the open circuit did not fail fast');
    const echo = await spawnChild('echo');
    const echoTarget: Target = { url: echo.url, headers: {}, body: callBody() };
    const [shieldOpen, echoRef] = (await interleaved([legacy, echoTarget])) as [Throughput, Throughput];
    echo.process.kill();
    const p99 = await bucketPercentile(shieldOrigin, 'circuit_breaker_error', 99);
    const p50 = await bucketPercentile(shieldOrigin, 'circuit_breaker_error', 50);
    console.log(`\ncircuit open (fast-fail), req/s`);
    console.log(`  shield                        ${shieldOpen.rps.toFixed(0).padStart(8)}   non-2xx ${shieldOpen.non2xx}`);
    console.log(`  bare JSON-RPC echo            ${echoRef.rps.toFixed(0).padStart(8)}`);
    console.log(`  server-side time per fast-fail (histogram, ${p99.count} calls): p50 <= ${(p50.le * 1e6).toFixed(0)} µs, p99 <= ${(p99.le * 1e6).toFixed(0)} µs`);
    checks.push(ratioCheck('open: shield vs bare JSON-RPC echo', shieldOpen.rps, echoRef.rps, 0.6));
    checks.push({
      figure: 'open: fast-fail p99 (server histogram)',
      detail: `p99 bucket <= ${(p99.le * 1e6).toFixed(0)} µs`,
      value: p99.le * 1e6,
      target: '< 100 µs (bucket bound <= 100)',
      pass: p99.le <= 0.0001,
    });

    const before = await shield.memory();
    const fastFails = await load(legacy, { amount: 100_000 });
    const after = await shield.memory();
    const fastFailGrowth = (after.rss - before.rss) / MB;
    console.log(
      `\nacross 100,000 fast-fails (non-2xx ${fastFails.non2xx}): RSS ${(before.rss / MB).toFixed(1)} -> ${(after.rss / MB).toFixed(1)} MB, heap after GC ${(before.heapUsed / MB).toFixed(1)} -> ${(after.heapUsed / MB).toFixed(1)} MB`,
    );
    checks.push({ figure: 'RSS growth, 100,000 fast-fails', detail: `${fastFailGrowth.toFixed(1)} MB`, value: fastFailGrowth, target: '< 50 MB', pass: fastFailGrowth < 50 });

    // Sessions opened and expired.
    const sessions = await spawnChild('shield-sessions', upstream.url);
    const sessionsOrigin = new URL(sessions.url).origin;
    const initialize: Target = {
      url: sessions.url,
      headers: {},
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
      }),
    };
    await load(initialize, { amount: 2_000 });
    await new Promise((resolve) => setTimeout(resolve, SESSION_IDLE_S * 1250 + 500));
    const sessionsBefore = await sessions.memory();
    const initialized = await load(initialize, { amount: 10_000 });
    const peak = await sessionsOpen(sessionsOrigin);
    await new Promise((resolve) => setTimeout(resolve, SESSION_IDLE_S * 1250 + 500));
    const left = await sessionsOpen(sessionsOrigin);
    const sessionsAfter = await sessions.memory();
    const sessionGrowth = (sessionsAfter.rss - sessionsBefore.rss) / MB;
    console.log(
      `across 10,000 sessions opened (${initialized.rps.toFixed(0)}/s, then open: ${peak}) and expired (open: ${left}): RSS ${(sessionsBefore.rss / MB).toFixed(1)} -> ${(sessionsAfter.rss / MB).toFixed(1)} MB, heap after GC ${(sessionsBefore.heapUsed / MB).toFixed(1)} -> ${(sessionsAfter.heapUsed / MB).toFixed(1)} MB`,
    );
    checks.push({
      figure: 'RSS growth, 10,000 sessions opened+expired',
      detail: `${sessionGrowth.toFixed(1)} MB, ${left} left open`,
      value: sessionGrowth,
      target: '< 50 MB, 0 left',
      pass: sessionGrowth < 50 && left === 0 && peak === 10_000,
    });
    sessions.process.kill();

    // The simulator (issue 4) vs Shield, direct.
    if (simRps) checks.push(ratioCheck('simulator vs shield (healthy)', simRps.rps, shieldLegacy.rps, 2));
  } finally {
    for (const started of children) started.process.kill();
  }

  console.log('');
  let missed = false;
  for (const check of checks) {
    missed ||= !check.pass;
    console.log(
      `  ${check.figure.padEnd(44)} ${check.detail.padEnd(28)} = ${check.value.toFixed(2).padStart(7)}  target ${check.target.padEnd(30)} ${check.pass ? 'PASS' : 'MISS'}`,
    );
  }
  process.exit(missed ? 1 : 0);
}

// Last, so that every declaration above is initialised.
if (process.argv[2] === '--role') {
  const url = await startRole(process.argv[3] as Role, process.argv[4] ?? '');
  process.on('message', (message: string) => {
    if (message === 'rss') {
      (globalThis as { gc?: () => void }).gc?.();
      const { rss, heapUsed } = process.memoryUsage();
      process.send!({ rss, heapUsed });
    }
  });
  process.send!({ url });
} else {
  await main();
}
