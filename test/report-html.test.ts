/**
 * The HTML reports in a real headless Chromium: the page renders offline (no request leaves the
 * file), every chart draws its data over the circuit-state bands, and nothing logs an error.
 * Screenshots are kept under artifacts/ for people to look at.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { renderLoadHtml, renderVerifyHtml } from '../src/report/html.js';
import type { CallPoint } from '../src/report/chart.js';
import type { LoadReport } from '../src/report/load-report.js';
import { LOAD_REPORT_SCHEMA } from '../src/report/load-report.js';
import type { VerifyReport } from '../src/report/verify-report.js';
import { VERIFY_REPORT_SCHEMA } from '../src/report/verify-report.js';
import { runVerify } from '../src/verify/index.js';

const CHROMIUM = '/usr/bin/chromium';
const artifacts = new URL('../artifacts/', import.meta.url).pathname;

function scenarioTwoCalls(): CallPoint[] {
  const calls: CallPoint[] = [];
  for (let i = 0; i < 5; i++) calls.push({ t_ms: i * 320, latency_us: 300_000 + i * 900, outcome: 'orchestrator_error' });
  for (let i = 0; i < 12; i++) calls.push({ t_ms: 1_610 + i * 40, latency_us: 180 + i * 7, outcome: 'circuit_breaker_error' });
  calls.push({ t_ms: 2_250, latency_us: 2_400, outcome: 'success' });
  for (let i = 0; i < 6; i++) calls.push({ t_ms: 2_300 + i * 30, latency_us: 1_800 + i * 50, outcome: 'success' });
  return calls;
}

function verifyFixture(): VerifyReport {
  const settings = {
    fail_max: 5,
    timeout_ms: 300,
    reset_timeout_ms: 600,
    normal_concurrency: 10,
    normal_duration_ms: 600,
    high_load_calls: 50,
    flapping_calls: 100,
    flapping_window_ms: 1_200,
    flapping_failure_rate: 0.5,
    fast_fail_target_ms: 100,
    p95_target_ms: 5_000,
  };
  return {
    schema: VERIFY_REPORT_SCHEMA,
    shield_version: '0.1.0',
    started_at: '2026-12-04T20:00:00.000Z',
    finished_at: '2026-12-04T20:01:02.000Z',
    elapsed_ms: 62_000,
    verdict: 'fail',
    time_scale: 0.01,
    mode: 'embedded',
    server_url: 'http://127.0.0.1:40001/mcp',
    health_url: 'http://127.0.0.1:40001/health',
    chaos_url: null,
    down: ['refused', 'hang'],
    scenarios_selected: [2, 4],
    settings,
    scenarios: [
      {
        id: 2,
        title: 'Gradual failures (circuit opens)',
        objective: 'Verify circuit opens after fail_max=5 failures.',
        verdict: 'pass',
        skip_reason: null,
        elapsed_ms: 2_500,
        checks: [
          { name: 'first 5 calls fail with orchestrator_error', expected: '5 × orchestrator_error', observed: '5 × orchestrator_error (timeout)', verdict: 'pass' },
          { name: '6th call fails fast <script>alert(1)</script>', expected: '< 100ms', observed: '0.18ms', verdict: 'pass' },
        ],
        figures: { fast_fail_us: 180 },
        runs: [
          {
            label: 'down=hang',
            started_at: '2026-12-04T20:00:01.000Z',
            elapsed_ms: 2_500,
            calls: scenarioTwoCalls(),
            circuit: [
              { start_ms: 0, end_ms: 1_590, state: 'closed' },
              { start_ms: 1_590, end_ms: 2_190, state: 'open' },
              { start_ms: 2_190, end_ms: 2_260, state: 'half_open' },
              { start_ms: 2_260, end_ms: 2_500, state: 'closed' },
            ],
            transitions: 3,
            event_loop_delay_max_ms: 6.2,
          },
        ],
        notes: [],
      },
      {
        id: 4,
        title: 'High load with failures',
        objective: 'Verify circuit breaker protects under heavy load.',
        verdict: 'skipped',
        skip_reason: 'the target cannot be restarted with a bulkhead',
        elapsed_ms: 0,
        checks: [],
        figures: {},
        runs: [],
        notes: [],
      },
    ],
    criteria: [
      { criterion: 'Circuit opens after failures', target: '5 failures', method: 'Count errors before fast-fail', observed: '5', verdict: 'pass', figures: {} },
      { criterion: 'Concurrent requests', target: 'Handles 50+', method: 'Load test with concurrency', observed: 'scenario 4 skipped', verdict: 'skipped', figures: {} },
    ],
    environment: { node: process.versions.node, platform: process.platform, arch: process.arch, cpus: 2 },
  };
}

function loadFixture(): LoadReport {
  const distribution = (p50: number) => ({
    latency_us: { count: 10, min: p50 / 2, mean: p50, p50, p90: p50 * 2, p95: p50 * 3, p99: p50 * 4, p99_9: p50 * 4, max: p50 * 5 },
    histogram: '',
  });
  const series = Array.from({ length: 12 }, (_, t) => {
    const down = t >= 4 && t < 9;
    const outcomes = down ? { orchestrator_error: t === 4 ? 5 : 0, circuit_breaker_error: 90 } : { success: 100 };
    return {
      t_s: t,
      warmup: false,
      calls: 100,
      throughput_rps: 100,
      outcomes,
      latency_us: down ? { p50: 150, p90: 200, p95: 250, p99: 30_000, max: 300_000 } : { p50: 2_000, p90: 3_000, p95: 3_500, p99: 5_000, max: 9_000 },
      in_flight: 3,
      late: 0,
      dropped: 0,
      cpu_percent: 20,
    };
  });
  return {
    schema: LOAD_REPORT_SCHEMA,
    generator_version: '0.1.0',
    started_at: '2026-12-04T20:00:00.000Z',
    finished_at: '2026-12-04T20:00:12.000Z',
    elapsed_ms: 12_000,
    stop_reason: 'completed',
    merged_runs: 1,
    config: {
      server: 'http://127.0.0.1:8081/mcp',
      tool: 'lightrag_query',
      args: { query: 'test', mode: 'hybrid' },
      model: 'closed',
      concurrency: 10,
      rate: null,
      duration_ms: 12_000,
      requests: null,
      ramp_ms: 0,
      warmup_ms: 0,
      timeout_ms: 30_000,
      sessions: 'per-worker',
      health_url: 'http://127.0.0.1:8081/health',
      health_interval_ms: 250,
      orchestrator_down: false,
      chaos_url: null,
      expectations: ['expect-success'],
      protocol_version: '2025-11-25',
      server_info: { name: 'shield', version: '0.1.0' },
    },
    totals: { calls: 1200, succeeded: 700, failed: 500, error_rate: 500 / 1200, throughput_rps: 100, warmup_calls: 0, late: 0, dropped: 0, cancelled_at_end: 0, measured_ms: 12_000 },
    latency: distribution(1_500),
    outcomes: {
      success: { count: 700, ...distribution(2_000) },
      orchestrator_error: { count: 5, reasons: { connection_refused: 5 }, ...distribution(1_000) },
      circuit_breaker_error: { count: 450, ...distribution(150) },
    },
    series,
    circuit: {
      health_url: 'http://127.0.0.1:8081/health',
      polls: 48,
      poll_errors: 0,
      upstreams: {
        orchestrator: {
          segments: [
            { start_ms: 0, end_ms: 4_100, state: 'closed' },
            { start_ms: 4_100, end_ms: 9_000, state: 'open' },
            { start_ms: 9_000, end_ms: 9_300, state: 'half_open' },
            { start_ms: 9_300, end_ms: 12_000, state: 'closed' },
          ],
          first_open_ms: 4_100,
          max_fail_counter: 5,
          fail_max: 5,
          reset_timeout_s: 5,
        },
      },
      first_open_ms: 4_100,
      first_open_source: 'health',
      calls_after_open: 500,
      fast_fails_after_open: 450,
      fast_fail: distribution(150),
    },
    generator: { cpu_user_ms: 900, cpu_system_ms: 100, cpu_percent: 8, cpu_peak_percent: 20, rss_peak_bytes: 80e6, rss_end_bytes: 70e6, heap_used_peak_bytes: 20e6, event_loop_delay_p99_ms: 3, saturated: false },
    expectations: [{ source: 'expect-success', expression: 'failures==0', measured: 500, measured_text: 'failures = 500', passed: false }],
    passed: false,
    warnings: [],
  };
}

interface PageFindings {
  chartsRendered: number;
  figures: number;
  /** Per chart: uPlot legend entries (series + x) and painted pixels per outcome colour. */
  charts: Array<{ legend: number; painted: number; colors: Record<string, number> }>;
  consoleErrors: string[];
  externalRequests: string[];
}

/**
 * Runs in the page (a string, because tsx would wrap a function's source in helpers the page lacks):
 * per chart, the uPlot legend entries, the painted pixels, and the pixels of each wanted colour.
 */
const INSPECT_CHARTS = `function (wanted) {
  const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const targets = Object.entries(wanted).map(([name, hex]) => [name, rgb(hex)]);
  const charts = [...document.querySelectorAll('figure.chart')].map((figure) => {
    const canvas = figure.querySelector('canvas');
    const colors = Object.fromEntries(targets.map(([name]) => [name, 0]));
    let painted = 0;
    if (canvas) {
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i + 3] === 0) continue;
        painted++;
        for (const [name, [r, g, b]] of targets) {
          const near = Math.abs(pixels[i] - r) < 24 && Math.abs(pixels[i + 1] - g) < 24 && Math.abs(pixels[i + 2] - b) < 24;
          if (near && pixels[i + 3] > 200) colors[name]++;
        }
      }
    }
    return { legend: figure.querySelectorAll('.u-legend .u-series').length, painted, colors };
  });
  return {
    chartsRendered: Number(document.body.dataset.chartsRendered),
    figures: document.querySelectorAll('figure.chart').length,
    charts,
  };
}`;

let browser: Browser;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/install-test-deps.sh`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  await browser?.close();
});

/** Opens the HTML as a file (offline: any other request is aborted and recorded) and inspects its charts. */
async function inspect(html: string, name: string, colors: Record<string, string>): Promise<PageFindings> {
  const file = `${artifacts}${name}.html`;
  writeFileSync(file, html);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const consoleErrors: string[] = [];
  const externalRequests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    externalRequests.push(url);
    return route.abort();
  });
  try {
    await page.goto(`file://${file}`);
    await page.waitForSelector('body[data-charts-rendered]', { timeout: 10_000 });
    const findings = (await page.evaluate(`(${INSPECT_CHARTS})(${JSON.stringify(colors)})`)) as Omit<
      PageFindings,
      'consoleErrors' | 'externalRequests'
    >;
    await page.screenshot({ path: `${artifacts}${name}.png`, fullPage: true });
    return { ...findings, consoleErrors, externalRequests };
  } finally {
    await page.close();
  }
}

test('verify report: offline page, every chart draws its calls by outcome over the circuit bands', async () => {
  const report = verifyFixture();
  const html = renderVerifyHtml(report);
  assert.doesNotMatch(html, /<script>alert\(1\)<\/script>/, 'text from the report is escaped');
  assert.doesNotMatch(html, /https?:\/\/(cdn|unpkg|jsdelivr)/, 'no CDN');
  const findings = await inspect(html, 'report-verify', {
    orchestrator_error: '#cf222e',
    circuit_breaker_error: '#0969da',
    success: '#1a7f37',
  });
  assert.deepEqual(findings.consoleErrors, []);
  assert.deepEqual(findings.externalRequests, []);
  assert.equal(findings.figures, 1, 'one chart: the skipped scenario has no run');
  assert.equal(findings.chartsRendered, 1);
  const [chart] = findings.charts;
  assert.ok(chart);
  assert.equal(chart.legend, 3, 'one series per outcome that occurred');
  for (const outcome of ['orchestrator_error', 'circuit_breaker_error', 'success']) {
    assert.ok(chart.colors[outcome]! > 20, `${outcome} points are drawn (${chart.colors[outcome]} pixels)`);
  }
});

test('verify report: the page states the verdicts, the scale and the skip reason', async () => {
  const html = renderVerifyHtml(verifyFixture());
  assert.match(html, /1\/100: 30s timeout → 300ms, 60s reset timeout → 600ms/);
  assert.match(html, /Skipped: the target cannot be restarted with a bulkhead/);
  assert.match(html, /<h1>Shield verify[^<]*<span class="badge fail">FAIL<\/span>/);
});

test('load report: latency and outcome charts render per second with the circuit bands', async () => {
  const findings = await inspect(renderLoadHtml(loadFixture()), 'report-load', {
    success: '#1a7f37',
    circuit_breaker_error: '#0969da',
    p99: '#cf222e',
  });
  assert.deepEqual(findings.consoleErrors, []);
  assert.deepEqual(findings.externalRequests, []);
  assert.equal(findings.chartsRendered, 2);
  const [latency, outcomes] = findings.charts;
  assert.ok(latency && outcomes);
  assert.equal(latency.legend, 4, 'p50, p95, p99, max');
  assert.equal(outcomes.legend, 3, 'the three outcomes that occurred');
  assert.ok(latency.colors.p99! > 20, 'the p99 line is drawn');
  assert.ok(outcomes.colors.success! > 20 && outcomes.colors.circuit_breaker_error! > 20, 'outcome lines are drawn');
});

test('a real verify run (scenarios 2 and 3 on the embedded simulator) renders every run as a chart', async () => {
  const report = await runVerify({ scale: 0.01, scenarios: [2, 3], down: ['refused'] });
  const findings = await inspect(renderVerifyHtml(report), 'report-verify-real', {
    orchestrator_error: '#cf222e',
    circuit_breaker_error: '#0969da',
    success: '#1a7f37',
  });
  assert.deepEqual(findings.consoleErrors, []);
  assert.deepEqual(findings.externalRequests, []);
  assert.equal(findings.chartsRendered, report.scenarios.flatMap((s) => s.runs).length);
  const [opening, recovery] = findings.charts;
  assert.ok(opening && recovery);
  assert.ok(opening.colors.orchestrator_error! > 20 && opening.colors.circuit_breaker_error! > 20, 'failures, then fast-fails');
  assert.ok(recovery.colors.success! > 20, 'the recovery calls succeed');
});
