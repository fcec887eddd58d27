/**
 * `npm run bench -- load`: the load generator against autocannon, measured in the same run against
 * the same bare JSON-RPC echo endpoint (a tiny node:http server answering tools/call, in its own
 * process), 50 keep-alive connections, 10 s per run. `shield load` runs as users run it: the
 * compiled CLI (`node dist/cli/main.js load ... --json`) in its own process (`bench/index.ts`
 * rebuilds `dist/` when it is older than `src/`).
 *
 * - `shield load` request rate vs autocannon's [>= 0.9x];
 * - `shield load` p50 vs autocannon's [within 10%]. autocannon's own histogram floors latencies to
 *   whole milliseconds (its p50 of 0 means [0, 1) ms), so the reference is the median of the
 *   unrounded response times autocannon measures itself (`process.hrtime` from its request queue),
 *   collected from its `response` event; its floored p50 is printed beside it;
 * - RSS of a long run at full speed [< 150 MB at 10 min]: a fresh compiled generator runs for
 *   RSS_RUN_S seconds (60 by default, long enough for V8's heap to reach its working size;
 *   SHIELD_BENCH_RSS_S=600 for the whole 10 minutes), its RSS read from /proc every second. The
 *   figure is the peak measured, labelled with the run's length; the growth between the medians of
 *   the second and last thirds is printed beside it (RSS saws with each major GC, so a short run's
 *   slope is not a leak rate: the 10-minute run is the answer to that).
 *
 * The machine is shared, so the contenders run in interleaved rounds and each figure is the median.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { LoadReport } from '../src/report/load-report.js';
import { median } from './median.js';

const CONNECTIONS = 50;
const DURATION_S = 10;
const ROUNDS = 3;
const RSS_RUN_S = Number(process.env.SHIELD_BENCH_RSS_S ?? 60);
const MB = 1024 * 1024;
const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/cli/main.js');

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

/** autocannon's run, with the median of its unrounded response times beside its floored p50. */
async function autocannonRun(url: string): Promise<{ rps: number; p50Ms: number; flooredP50Ms: number; cpuUsPerCall: number; errors: number }> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: {} } });
  const responseTimes = new Float64Array(4_000_000);
  let responses = 0;
  const cpuBefore = process.cpuUsage();
  const instance = autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
    body,
  }) as unknown as Promise<autocannon.Result> & NodeJS.EventEmitter; // its typings omit that the promise is its event-emitting tracker (lib/init.js)
  // autocannon emits every response with its hrtime duration in float ms, before flooring it into its histogram.
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    if (responses < responseTimes.length) responseTimes[responses++] = responseTime;
  });
  const result = await instance;
  const cpu = process.cpuUsage(cpuBefore);
  const sorted = responseTimes.subarray(0, responses).sort();
  return {
    rps: result.requests.average,
    p50Ms: sorted[Math.floor(responses / 2)] ?? 0,
    flooredP50Ms: result.latency.p50,
    cpuUsPerCall: (cpu.user + cpu.system) / Math.max(1, result.requests.total),
    errors: result.errors + result.non2xx,
  };
}

/** `shield load` as users run it: the compiled CLI in its own process, its JSON report on stdout. */
function shieldLoad(url: string, seconds: number, onStart?: (child: ChildProcess) => void): Promise<LoadReport> {
  const args = [CLI, 'load', '--server', url, '--tool', 'echo', '--concurrency', String(CONNECTIONS), '--duration', `${seconds}s`];
  args.push('--health-interval', '0', '--protocol', 'legacy', '--json', '--quiet');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  onStart?.(child);
  let output = '';
  child.stdout?.on('data', (data: Buffer) => (output += data.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`shield load exited with ${code}`));
      else resolve(JSON.parse(output) as LoadReport);
    });
  });
}

interface Check {
  figure: string;
  value: number;
  reference: number;
  ratio: number;
  target: string;
  pass: boolean;
}

function rssOf(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** A fresh compiled generator at full speed for `seconds`, its RSS read from outside every second. */
async function measureRss(url: string, seconds: number): Promise<{ samples: Array<[number, number]>; report: LoadReport }> {
  const samples: Array<[number, number]> = [];
  let sampler: NodeJS.Timeout | undefined;
  const started = performance.now();
  const report = await shieldLoad(url, seconds, (child) => {
    sampler = setInterval(() => {
      const rss = child.pid === undefined ? undefined : rssOf(child.pid);
      if (rss !== undefined) samples.push([(performance.now() - started) / 1000, rss]);
    }, 1000);
  });
  clearInterval(sampler);
  return { samples, report };
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run bench -- load (it builds dist/) or npm run build`);
  const checks: Check[] = [];
  const echo = await startEchoServer();
  try {
    console.log(`bare JSON-RPC echo endpoint (own process), ${CONNECTIONS} connections, ${DURATION_S} s per run, ${ROUNDS} interleaved rounds, medians`);
    console.log('shield load: the compiled CLI (node dist/cli/main.js load), its own process');
    const references: Array<{ rps: number; p50Ms: number; flooredP50Ms: number; cpuUsPerCall: number }> = [];
    const ours: Array<{ rps: number; p50Ms: number; cpu: number; cpuUsPerCall: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const runShield = async (): Promise<void> => {
        const report = await shieldLoad(echo.url, DURATION_S);
        if (report.totals.failed > 0) throw new Error(`shield load: ${report.totals.failed} calls failed`);
        const cpuUs = (report.generator.cpu_user_ms + report.generator.cpu_system_ms) * 1000;
        ours.push({
          rps: report.totals.throughput_rps,
          p50Ms: report.latency.latency_us.p50 / 1000,
          cpu: report.generator.cpu_percent,
          cpuUsPerCall: cpuUs / Math.max(1, report.totals.calls),
        });
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
      const a = references.at(-1) as (typeof references)[number];
      const b = ours.at(-1) as (typeof ours)[number];
      console.log(
        `  round ${round + 1}: autocannon ${a.rps.toFixed(0)} req/s p50 ${a.p50Ms.toFixed(3)} ms (floored ${a.flooredP50Ms}) ${a.cpuUsPerCall.toFixed(1)} µs cpu/call` +
          ` · shield load ${b.rps.toFixed(0)} req/s p50 ${b.p50Ms.toFixed(3)} ms ${b.cpuUsPerCall.toFixed(1)} µs cpu/call (cpu ${b.cpu}%)`,
      );
    }
    const referenceRps = median(references.map((r) => r.rps));
    const shieldRps = median(ours.map((r) => r.rps));
    const referenceP50 = median(references.map((r) => r.p50Ms));
    const shieldP50 = median(ours.map((r) => r.p50Ms));
    checks.push({ figure: 'request rate vs autocannon (req/s)', value: shieldRps, reference: referenceRps, ratio: shieldRps / referenceRps, target: '>= 0.90x', pass: shieldRps >= 0.9 * referenceRps });
    const p50Ratio = shieldP50 / referenceP50;
    checks.push({ figure: 'p50 vs autocannon (ms, its unrounded times)', value: shieldP50, reference: referenceP50, ratio: p50Ratio, target: 'within 10% (0.90x..1.10x)', pass: p50Ratio >= 0.9 && p50Ratio <= 1.1 });

    const measured = RSS_RUN_S >= 600;
    console.log(`\nRSS of the compiled shield load process at full speed for ${RSS_RUN_S} s${measured ? '' : ' (SHIELD_BENCH_RSS_S=600 measures the whole 10 minutes)'}`);
    const { samples, report } = await measureRss(echo.url, RSS_RUN_S);
    const peak = Math.max(report.generator.rss_peak_bytes, ...samples.map(([, rss]) => rss));
    // RSS saws up and down with each major GC: compare the medians of the second and last thirds
    // rather than fit a line through the saw; the first third is the heap reaching its working size.
    const third = RSS_RUN_S / 3;
    const window = (from: number, to: number): number => median(samples.filter(([t]) => t >= from && t < to).map(([, rss]) => rss));
    const middleThird = window(third, 2 * third);
    const lastThird = window(2 * third, Infinity);
    const slope = (lastThird - middleThird) / third;
    console.log(
      `  ${report.totals.calls} calls at ${report.totals.throughput_rps.toFixed(0)} req/s; RSS median ${(middleThird / MB).toFixed(1)} MB in the second third,` +
        ` ${(lastThird / MB).toFixed(1)} MB in the last, peak ${(peak / MB).toFixed(1)} MB; heap used peak ${(report.generator.heap_used_peak_bytes / MB).toFixed(1)} MB`,
    );
    console.log(`  median growth from the second to the last third: ${(slope / 1024).toFixed(1)} KiB/s${measured ? '' : ' (a shorter run than the 10 minutes of the target)'}`);
    const figure = `RSS peak, MB (${RSS_RUN_S} s run${measured ? '' : ', not 10 min'})`;
    checks.push({ figure, value: peak / MB, reference: 150, ratio: peak / MB / 150, target: '< 150 MB', pass: peak < 150 * MB });
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

await main();
