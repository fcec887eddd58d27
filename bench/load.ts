/**
 * `npm run bench -- load`: the load generator against autocannon, measured in the same run against
 * the same bare JSON-RPC echo endpoint (a tiny node:http server answering tools/call, in its own
 * process), 50 keep-alive connections, 10 s each:
 *
 * - `shield load` request rate vs autocannon's [>= 0.9x];
 * - `shield load` p50 vs autocannon's [within 10%] (autocannon records whole milliseconds, so its
 *   p50 is an integer; the comparison allows that rounding);
 * - RSS of a long run at full speed [< 150 MB at 10 min]: measured over RSS_RUN_S seconds, the slope
 *   of the second half extrapolated to 10 minutes (said so in the output).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { runLoad } from '../src/load/index.js';

const CONNECTIONS = 50;
const DURATION_S = 10;
const RSS_RUN_S = Number(process.env.SHIELD_BENCH_RSS_S ?? 60);
const MB = 1024 * 1024;

const ECHO_SERVER = `
const http = require('node:http');
const server = http.createServer({ keepAliveTimeout: 65000 }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const message = JSON.parse(Buffer.concat(chunks).toString());
    if (message.id === undefined) { res.writeHead(202).end(); return; }
    let result;
    if (message.method === 'initialize') result = { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'echo', version: '1' } };
    else if (message.method === 'tools/list') result = { tools: [{ name: 'echo', inputSchema: { type: 'object' } }] };
    else if (message.method === 'tools/call') result = { content: [{ type: 'text', text: 'ok' }] };
    const body = JSON.stringify(result ? { jsonrpc: '2.0', id: message.id, result } : { jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'Method not found' } });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function startEchoServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', ECHO_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (data: Buffer) => resolve(data.toString().trim()));
    child.once('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/mcp`, child };
}

async function autocannonRun(url: string): Promise<{ rps: number; p50Ms: number; errors: number }> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: {} } });
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
    body,
  });
  return { rps: result.requests.average, p50Ms: result.latency.p50, errors: result.errors + result.non2xx };
}

interface Check {
  figure: string;
  value: number;
  reference: number;
  ratio: number;
  target: string;
  pass: boolean;
}

const checks: Check[] = [];
const echo = await startEchoServer();
try {
  console.log(`bare JSON-RPC echo endpoint, ${CONNECTIONS} connections, ${DURATION_S} s each (autocannon first, then shield load)`);
  const reference = await autocannonRun(echo.url);
  const report = await runLoad({ server: echo.url, tool: 'echo', concurrency: CONNECTIONS, durationMs: DURATION_S * 1000, healthIntervalMs: 0, protocol: 'legacy' });
  const shieldRps = report.totals.throughput_rps;
  const shieldP50Ms = report.latency.latency_us.p50 / 1000;
  console.log(`  autocannon     ${reference.rps.toFixed(0).padStart(7)} req/s   p50 ${reference.p50Ms.toFixed(3)} ms (whole ms)   errors ${reference.errors}`);
  console.log(
    `  shield load    ${shieldRps.toFixed(0).padStart(7)} req/s   p50 ${shieldP50Ms.toFixed(3)} ms   failed ${report.totals.failed}, generator cpu ${report.generator.cpu_percent}%`,
  );
  checks.push({ figure: 'request rate vs autocannon', value: shieldRps, reference: reference.rps, ratio: shieldRps / reference.rps, target: '>= 0.90x', pass: shieldRps >= 0.9 * reference.rps });
  // autocannon's p50 is a whole millisecond: the true value lies within [p50 - 1, p50] ms. Compare against the nearest point of that range.
  const nearest = Math.min(reference.p50Ms, Math.max(reference.p50Ms - 1, shieldP50Ms));
  const p50Ratio = nearest > 0 ? shieldP50Ms / nearest : Infinity;
  checks.push({ figure: 'p50 vs autocannon (its ms rounding allowed)', value: shieldP50Ms, reference: reference.p50Ms, ratio: p50Ratio, target: 'within 10% (0.90x..1.10x)', pass: p50Ratio >= 0.9 && p50Ratio <= 1.1 });

  console.log(`\nRSS of shield load at full speed, ${RSS_RUN_S} s (the generator process; the server runs in another)`);
  global.gc?.();
  const samples: Array<[number, number]> = [];
  const rssReport = await runLoad({
    server: echo.url,
    tool: 'echo',
    concurrency: CONNECTIONS,
    durationMs: RSS_RUN_S * 1000,
    healthIntervalMs: 0,
    protocol: 'legacy',
    onProgress: (progress) => samples.push([progress.elapsedMs / 1000, process.memoryUsage.rss()]),
  });
  const half = samples.slice(Math.floor(samples.length / 2));
  const n = half.length;
  const meanT = half.reduce((s, [t]) => s + t, 0) / n;
  const meanR = half.reduce((s, [, r]) => s + r, 0) / n;
  const slope = half.reduce((s, [t, r]) => s + (t - meanT) * (r - meanR), 0) / Math.max(1e-9, half.reduce((s, [t]) => s + (t - meanT) ** 2, 0));
  const rssEnd = samples.at(-1)?.[1] ?? process.memoryUsage.rss();
  const projected = rssEnd + Math.max(0, slope) * (600 - RSS_RUN_S);
  const first = samples[0]?.[1] ?? 0;
  console.log(
    `  ${rssReport.totals.calls} calls, ${rssReport.totals.throughput_rps.toFixed(0)} req/s; RSS ${(first / MB).toFixed(1)} MB at 1 s, ${(rssEnd / MB).toFixed(1)} MB at ${RSS_RUN_S} s, peak ${(rssReport.generator.rss_peak_bytes / MB).toFixed(1)} MB`,
  );
  console.log(`  slope over the second half ${(slope / 1024).toFixed(1)} KiB/s; extrapolated to 10 min: ${(projected / MB).toFixed(1)} MB (extrapolated, not measured for 10 min)`);
  checks.push({ figure: `RSS at 10 min (extrapolated from ${RSS_RUN_S} s)`, value: projected / MB, reference: 150, ratio: projected / MB / 150, target: '< 150 MB', pass: projected < 150 * MB });
} finally {
  echo.child.kill();
}

console.log('');
for (const check of checks) {
  console.log(
    `  ${check.figure.padEnd(46)} ${check.value.toFixed(2).padStart(9)} vs ${check.reference.toFixed(2).padStart(9)}  = ${check.ratio.toFixed(2).padStart(5)}x  target ${check.target.padEnd(26)} ${check.pass ? 'PASS' : 'MISS'}`,
  );
}
process.exit(checks.every((check) => check.pass) ? 0 : 1);
