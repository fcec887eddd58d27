/**
 * `npm run bench -- load`: the load generator against autocannon, measured in the same run against
 * the same bare JSON-RPC echo endpoint (a tiny node:http server answering tools/call, in its own
 * process), 50 keep-alive connections, 10 s per run:
 *
 * - `shield load` request rate vs autocannon's [>= 0.9x];
 * - `shield load` p50 vs autocannon's [within 10%] (autocannon floors latencies to whole
 *   milliseconds, so its p50 of N means [N, N + 1) ms; the comparison allows that);
 * - RSS of a long run at full speed [< 150 MB at 10 min]: a fresh generator process runs for
 *   RSS_RUN_S seconds (60, or SHIELD_BENCH_RSS_S); after a first third for the heap to reach its
 *   working size, the growth between the medians of the last two thirds is extrapolated to 10
 *   minutes (said so in the output; SHIELD_BENCH_RSS_S=600 measures them).
 *   The child runs through tsx, which adds about 35 MB a compiled `shield load` does not carry.
 *
 * The machine is shared, so the contenders run in interleaved rounds and each figure is the median.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { runLoad } from '../src/load/index.js';

const CONNECTIONS = 50;
const DURATION_S = 10;
const ROUNDS = 3;
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Child role: one long run at full speed, printing RSS samples as JSON lines (a fresh process: nothing but the generator in it). */
async function rssChild(url: string, seconds: number): Promise<void> {
  const startRss = process.memoryUsage.rss();
  const report = await runLoad({
    server: url,
    tool: 'echo',
    concurrency: CONNECTIONS,
    durationMs: seconds * 1000,
    healthIntervalMs: 0,
    protocol: 'legacy',
    onProgress: (progress) => console.log(JSON.stringify({ t: progress.elapsedMs / 1000, rss: process.memoryUsage.rss() })),
  });
  console.log(JSON.stringify({ calls: report.totals.calls, rps: report.totals.throughput_rps, peak: report.generator.rss_peak_bytes, startRss }));
}

async function measureRss(url: string): Promise<{ samples: Array<[number, number]>; calls: number; rps: number; peak: number; startRss: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--rss-child', url, String(RSS_RUN_S)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout?.on('data', (data: Buffer) => (output += data.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  const lines = output.trim().split('\n').map((line) => JSON.parse(line) as { t?: number; rss?: number; calls?: number; rps?: number; peak?: number; startRss?: number });
  const summary = lines.at(-1) ?? {};
  return {
    samples: lines.filter((line) => line.t !== undefined).map((line) => [line.t as number, line.rss as number]),
    calls: summary.calls ?? 0,
    rps: summary.rps ?? 0,
    peak: summary.peak ?? 0,
    startRss: summary.startRss ?? 0,
  };
}

async function main(): Promise<void> {
  const checks: Check[] = [];
  const echo = await startEchoServer();
  try {
    console.log(`bare JSON-RPC echo endpoint (own process), ${CONNECTIONS} connections, ${DURATION_S} s per run, ${ROUNDS} interleaved rounds, medians`);
    const references: Array<{ rps: number; p50Ms: number }> = [];
    const ours: Array<{ rps: number; p50Ms: number; cpu: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const runShield = async (): Promise<void> => {
        const report = await runLoad({ server: echo.url, tool: 'echo', concurrency: CONNECTIONS, durationMs: DURATION_S * 1000, healthIntervalMs: 0, protocol: 'legacy' });
        if (report.totals.failed > 0) throw new Error(`shield load: ${report.totals.failed} calls failed`);
        ours.push({ rps: report.totals.throughput_rps, p50Ms: report.latency.latency_us.p50 / 1000, cpu: report.generator.cpu_percent });
      };
      const runReference = async (): Promise<void> => {
        const reference = await autocannonRun(echo.url);
        if (reference.errors > 0) throw new Error(`autocannon: ${reference.errors} errors`);
        references.push(reference);
      };
      if (round % 2 === 0) {
        await runReference();
        await runShield();
      } else {
        await runShield();
        await runReference();
      }
      const a = references.at(-1) as { rps: number; p50Ms: number };
      const b = ours.at(-1) as { rps: number; p50Ms: number; cpu: number };
      console.log(`  round ${round + 1}: autocannon ${a.rps.toFixed(0)} req/s p50 ${a.p50Ms} ms · shield load ${b.rps.toFixed(0)} req/s p50 ${b.p50Ms.toFixed(3)} ms (generator cpu ${b.cpu}%)`);
    }
    const referenceRps = median(references.map((r) => r.rps));
    const shieldRps = median(ours.map((r) => r.rps));
    const referenceP50 = median(references.map((r) => r.p50Ms));
    const shieldP50 = median(ours.map((r) => r.p50Ms));
    checks.push({ figure: 'request rate vs autocannon (req/s)', value: shieldRps, reference: referenceRps, ratio: shieldRps / referenceRps, target: '>= 0.90x', pass: shieldRps >= 0.9 * referenceRps });
    // autocannon records float milliseconds into an integer histogram, which floors them: its p50 of N
    // means a true p50 in [N, N + 1) ms. Compare with the nearest point of that range.
    const nearest = Math.min(referenceP50 + 1, Math.max(referenceP50, shieldP50));
    const p50Ratio = nearest > 0 ? shieldP50 / nearest : Infinity;
    checks.push({ figure: 'p50 vs autocannon (ms; its flooring allowed)', value: shieldP50, reference: referenceP50, ratio: p50Ratio, target: 'within 10% (0.90x..1.10x)', pass: p50Ratio >= 0.9 && p50Ratio <= 1.1 });

    console.log(`\nRSS of a shield load process (run through tsx) at full speed for ${RSS_RUN_S} s`);
    const rss = await measureRss(echo.url);
    // The heap grows to its working size over the first seconds, and RSS then saws up and down with
    // each major GC: skip the first third, and compare the medians of the next two thirds rather
    // than fit a line through the saw.
    const third = RSS_RUN_S / 3;
    const window = (from: number, to: number): number => median(rss.samples.filter(([t]) => t >= from && t < to).map(([, r]) => r));
    const middleThird = window(third, 2 * third);
    const lastThird = window(2 * third, RSS_RUN_S + 1);
    const slope = (lastThird - middleThird) / third;
    const projected = rss.peak + Math.max(0, slope) * (600 - RSS_RUN_S);
    console.log(`  ${rss.calls} calls at ${rss.rps.toFixed(0)} req/s; RSS ${(rss.startRss / MB).toFixed(1)} MB loaded (tsx included), median ${(middleThird / MB).toFixed(1)} MB in the second third, ${(lastThird / MB).toFixed(1)} MB in the last, peak ${(rss.peak / MB).toFixed(1)} MB`);
    console.log(`  growth ${(slope / 1024).toFixed(1)} KiB/s; 10 min projected as peak + growth × the remaining ${600 - RSS_RUN_S} s: ${(projected / MB).toFixed(1)} MB (an extrapolation, not a 10-minute measurement)`);
    checks.push({ figure: `RSS at 10 min, MB (extrapolated from ${RSS_RUN_S} s)`, value: projected / MB, reference: 150, ratio: projected / MB / 150, target: '< 150 MB', pass: projected < 150 * MB });
  } finally {
    echo.child.kill();
  }
  console.log('');
  for (const check of checks) {
    console.log(
      `  ${check.figure.padEnd(50)} ${check.value.toFixed(2).padStart(9)} vs ${check.reference.toFixed(2).padStart(9)}  = ${check.ratio.toFixed(2).padStart(5)}x  target ${check.target.padEnd(26)} ${check.pass ? 'PASS' : 'MISS'}`,
    );
  }
  process.exit(checks.every((check) => check.pass) ? 0 : 1);
}

const childIndex = process.argv.indexOf('--rss-child');
if (childIndex !== -1) await rssChild(process.argv[childIndex + 1] as string, Number(process.argv[childIndex + 2]));
else await main();
