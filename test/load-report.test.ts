/**
 * The load report as a file: a real run's JSON validates against the schema after a round trip,
 * broken files are refused naming the field, two reports merge into one whose percentiles are those
 * of all the calls together, and the Markdown shows each expectation with its measured value.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runLoad, type CallRecord } from '../src/load/index.js';
import { mergeLoadReports } from '../src/load/merge.js';
import { createLatencyHistogram, percentilesOf } from '../src/report/load-histogram.js';
import type { LoadReport } from '../src/report/load-report.js';
import { loadReportJsonSchema, parseLoadReport } from '../src/report/load-schema.js';
import { writeLoadReport } from '../src/report/load-write.js';
import { startBareServer, startSdkServer, type RunningServer } from './load-fixtures.js';

describe('load reports', () => {
  let server: RunningServer;
  let directory: string;
  let report: LoadReport;
  const calls: CallRecord[] = [];

  before(async () => {
    server = await startSdkServer('v1-stateful', { json: true });
    directory = await mkdtemp(join(tmpdir(), 'shield-load-report-'));
    report = await runLoad({
      server: server.url,
      tool: 'echo',
      args: { text: 'hi' },
      concurrency: 3,
      durationMs: 600,
      healthIntervalMs: 50,
      thresholds: ['p99<10s', 'error_rate<=0', 'throughput>1000000'],
      onCall: (call) => calls.push(call),
    });
  });
  after(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('writes JSON that validates against the schema after a round trip', async () => {
    const path = join(directory, 'run.json');
    await writeLoadReport(report, path);
    const parsed = parseLoadReport(JSON.parse(await readFile(path, 'utf8')), path);
    assert.equal(parsed.schema, 'shield-load-report/1');
    assert.equal(parsed.totals.calls, calls.length);
    assert.ok(parsed.totals.calls > 0);
    assert.ok(parsed.circuit.polls > 0, '/health was polled');
    assert.equal(parsed.circuit.upstreams.orchestrator?.segments[0]?.state, 'closed');
    assert.deepEqual(parsed.expectations.map((e) => e.passed), [true, true, false]);
    assert.equal(parsed.passed, false);
    const schema = loadReportJsonSchema();
    assert.equal((schema.properties as Record<string, { const?: string }>).schema?.const, 'shield-load-report/1');
  });

  it('refuses a broken report, naming the field and the version it reads', () => {
    const broken = JSON.parse(JSON.stringify(report)) as Record<string, unknown> & { totals: Record<string, unknown> };
    broken.totals.calls = -1;
    assert.throws(() => parseLoadReport(broken, 'run.json'), /run\.json is not a valid shield-load-report\/1 report: totals\.calls/);
    assert.throws(() => parseLoadReport({ ...report, schema: 'shield-load-report/9' }, 'new.json'), /it says schema shield-load-report\/9/);
  });

  it('writes Markdown with every expectation and its measured value', async () => {
    const path = join(directory, 'run.md');
    await writeLoadReport(report, path);
    const markdown = await readFile(path, 'utf8');
    assert.match(markdown, /## Verdict: FAIL/);
    assert.match(markdown, /❌ \| `throughput>1000000` \| throughput = [\d.]+\/s/);
    assert.match(markdown, /✅ \| `p99<10s` \| p99 = /);
    assert.match(markdown, /### orchestrator/);
  });

  it('writes the HTML page of the run for a .html report', async () => {
    const path = join(directory, 'run.html');
    await writeLoadReport(report, path);
    const html = await readFile(path, 'utf8');
    assert.match(html, /^<!doctype html>/i);
    assert.ok(html.includes('echo'), 'the page names the tool');
  });

  it('refuses a report file with an unknown extension before anything runs', async () => {
    await assert.rejects(writeLoadReport(report, join(directory, 'run.txt')), { name: 'UsageError', message: /--report .*run\.txt: expected a file ending in \.json, \.md or \.html/ });
  });

  it('merges two runs into one whose percentiles are those of all their calls', async () => {
    const bare = await startBareServer({ fixedMs: 2 });
    try {
      const samples: CallRecord[][] = [[], []];
      const [a, b] = await Promise.all(
        samples.map((sink, index) =>
          runLoad({ server: bare.url, tool: 'echo', concurrency: 2 + index, requests: 150 + 50 * index, healthIntervalMs: 0, thresholds: ['calls>=400'], onCall: (call) => sink.push(call) }),
        ),
      );
      const roundTrip = (r: LoadReport): LoadReport => parseLoadReport(JSON.parse(JSON.stringify(r)));
      const merged = mergeLoadReports([roundTrip(a as LoadReport), roundTrip(b as LoadReport)]);
      parseLoadReport(JSON.parse(JSON.stringify(merged)));

      const single = createLatencyHistogram();
      for (const call of samples.flat()) single.recordValue(call.latency_us);
      assert.deepEqual(merged.latency.latency_us, percentilesOf(single));
      assert.equal(merged.totals.calls, 350);
      assert.equal(merged.outcomes.success?.count, 350);
      assert.equal(merged.merged_runs, 2);
      assert.equal(merged.config.concurrency, 5);
      assert.equal(merged.config.requests, 350);
      assert.deepEqual(
        merged.expectations.map((e) => [e.expression, e.passed]),
        [['calls>=400', false]],
        'expectations are evaluated again on the merged figures',
      );
      assert.equal(
        merged.series.reduce((sum, point) => sum + point.calls, 0),
        350,
        'the merged series still counts every call',
      );
    } finally {
      await bare.close();
    }
  });
});
