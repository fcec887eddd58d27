/**
 * `shield invoke/tools/health/load` as a user runs them (the program, once as a child process), against Shield in front
 * of the simulated orchestrator: the plan's scenario 1 and 2 steps give the documented exit codes,
 * and bad input gets one clear line and exit 2 (or 3 when the server is unreachable).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../src/cli/program.js';
import { parseLoadReport } from '../src/report/load-schema.js';
import { startSim, type ChaosHandle } from '../src/sim/index.js';
import { orchestratorConfig, startShield, type TestServer } from './server-helpers.js';

const root = new URL('..', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real binary in a child process: slow to start on a busy machine, so used once. */
function shieldProcess(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let running = Promise.resolve();

/** The same program in this process, its output captured; one at a time, as output capture is global. */
function shield(...args: string[]): Promise<Run> {
  const run = running.then(async () => {
    const out: string[] = [];
    const err: string[] = [];
    // Commands print results with console.log; process.stdout itself carries the test runner's own protocol.
    const log = console.log;
    const writeErr = process.stderr.write.bind(process.stderr);
    console.log = (...items: unknown[]) => void out.push(`${items.map(String).join(' ')}\n`);
    process.stderr.write = ((chunk: string | Uint8Array) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
    process.exitCode = undefined;
    try {
      const code = await main(['node', 'shield', ...args]);
      return { code, stdout: out.join(''), stderr: err.join('') };
    } finally {
      console.log = log;
      process.stderr.write = writeErr;
      process.exitCode = undefined;
    }
  });
  running = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

const QUERY = '{"query": "test", "mode": "hybrid"}';

describe('shield invoke, tools, health and load on the command line', () => {
  let sim: ChaosHandle;
  let server: TestServer;
  let hostPort: string;
  let directory: string;

  before(async () => {
    sim = await startSim({});
    server = await startShield(orchestratorConfig(sim.url, { timeout: '5s', max_concurrent: 10, breaker: { fail_max: 5, reset_timeout: '60s' } }, { log: { level: 'silent' } }));
    hostPort = `127.0.0.1:${server.port}`;
    directory = await mkdtemp(join(tmpdir(), 'shield-load-cli-'));
  });
  after(async () => {
    await server.close(0);
    await sim.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('scenario 1: shield load --expect-success exits 0 and writes a valid report; tools lists the schema', async () => {
    const reportPath = join(directory, 'scenario1.json');
    const [load, tools] = await Promise.all([
      shieldProcess('load', '--server', hostPort, '--tool', 'lightrag_query', '--args', QUERY, '--concurrency', '10', '--duration', '1', '--expect-success', '--report', reportPath),
      shield('tools', '--server', hostPort),
    ]);
    assert.equal(load.code, 0, load.stdout + load.stderr);
    assert.match(load.stdout, /expectations: all met/);
    assert.match(load.stdout, /✓ failures==0 +failures = 0/);
    const report = parseLoadReport(JSON.parse(await readFile(reportPath, 'utf8')));
    assert.equal(report.passed, true);
    assert.equal(tools.code, 0, tools.stderr);
    assert.match(tools.stdout, /^lightrag_query: /m);
    assert.match(tools.stdout, /query +string, required/);
  });

  it('scenario 2: five failing invokes exit 1, health shows the circuit open with fail_counter 5, the next invoke fails fast', async () => {
    await server.guards.get('orchestrator')?.reset();
    await sim.setMode({ mode: 'down' });
    try {
      for (let i = 1; i <= 5; i++) {
        const run = await shield('invoke', '--server', hostPort, '--tool', 'lightrag_query', '--args', QUERY);
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.match(run.stdout, /^error: orchestrator_error \(connection_refused\): /m);
        assert.match(run.stdout, /^elapsed: /m);
      }
      const health = await shield('health', '--server', hostPort, '--breaker', 'orchestrator', '--json');
      assert.equal(health.code, 0, health.stderr);
      const breaker = JSON.parse(health.stdout) as { state: string; fail_counter: number };
      assert.deepEqual({ state: breaker.state, fail_counter: breaker.fail_counter }, { state: 'open', fail_counter: 5 });

      const fast = await shield('invoke', '--server', hostPort, '--tool', 'lightrag_query', '--args', QUERY);
      assert.equal(fast.code, 1);
      assert.match(fast.stdout, /^error: circuit_breaker_error: circuit breaker 'orchestrator' is open/m);
      assert.match(fast.stdout, /^circuit: open, fail_counter 5/m);
      assert.match(fast.stdout, /^retry after: /m);

      const table = await shield('health', '--server', hostPort);
      assert.match(table.stdout, /^orchestrator +open +5\/5 /m);

      const load = await shield('load', '--server', hostPort, '--tool', 'lightrag_query', '--args', QUERY, '--concurrency', '2', '--duration', '300ms', '--expect-success', '--quiet');
      assert.equal(load.code, 1, 'an expectation failed');
      assert.match(load.stdout, /✗ failures==0 +failures = \d+/);
      assert.match(load.stdout, /✗ circuit_never_open +the circuit was seen open at/);
    } finally {
      await sim.setMode({ mode: 'healthy' });
      await server.guards.get('orchestrator')?.reset();
    }
  });

  it('bad input: one clear line naming the flag, exit 2; an unreachable server, exit 3', async () => {
    const cases: Array<{ args: string[]; code: number; message: RegExp }> = [
      { args: ['load', '--server', hostPort, '--tool', 'lightrag_query', '--args', '{bad'], code: 2, message: /--args <json>' argument '\{bad' is invalid\. expected JSON/ },
      { args: ['load', '--server', hostPort, '--tool', 'lightrag_query', '--duration', '5', '--requests', '5'], code: 2, message: /--duration and --requests cannot be used together/ },
      { args: ['load', '--server', hostPort, '--tool', 'nope'], code: 2, message: /unknown tool 'nope': .* offers lightrag_query/ },
      { args: ['load', '--server', hostPort, '--tool', 'lightrag_query', '--threshold', 'p95<<1'], code: 2, message: /--threshold 'p95<<1'/ },
      { args: ['load', '--server', hostPort, '--tool', 'lightrag_query', '--report', 'out.txt'], code: 2, message: /--report out\.txt: expected a file ending in \.json, \.md or \.html/ },
      { args: ['load', '--server', hostPort, '--tool', 'lightrag_query', '--orchestrator-down'], code: 2, message: /--orchestrator-down needs --chaos URL/ },
      { args: ['load', '--server', '127.0.0.1:1', '--tool', 'lightrag_query'], code: 3, message: /cannot reach http:\/\/127\.0\.0\.1:1\/mcp: connection refused/ },
      { args: ['invoke', '--server', 'not a server', '--tool', 'x'], code: 2, message: /--server <host:port\|url>' argument 'not a server' is invalid\. expected host:port/ },
      { args: ['invoke', '--server', hostPort, '--tool', 'nope'], code: 2, message: /unknown tool 'nope'/ },
      { args: ['invoke', '--server', hostPort, '--tool', 'lightrag_query', '--args', '[1]'], code: 2, message: /--args <json>' argument '\[1\]' is invalid\. expected a JSON object/ },
      { args: ['health', '--server', '127.0.0.1:1'], code: 3, message: /cannot reach http:\/\/127\.0\.0\.1:1\/health/ },
      { args: ['health', '--server', hostPort, '--breaker', 'nope'], code: 2, message: /--breaker nope: no such circuit breaker; the server lists orchestrator/ },
    ];
    const runs = await Promise.all(cases.map((c) => shield(...c.args)));
    runs.forEach((run, index) => {
      const expected = cases[index] as (typeof cases)[number];
      const label = expected.args.join(' ');
      assert.equal(run.code, expected.code, `${label}: ${run.stderr}`);
      assert.match(run.stderr, expected.message, label);
      assert.doesNotMatch(run.stderr, /\n\s+at /, `${label}: no stack trace`);
    });
  });

  it('health --watch prints a line per transition when not a terminal; Ctrl-C stops it', async () => {
    await server.guards.get('orchestrator')?.reset();
    const watching = shield('health', '--server', hostPort, '--watch', '50ms');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.guards.get('orchestrator')?.forceOpen();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.guards.get('orchestrator')?.reset();
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.emit('SIGINT');
    const run = await watching;
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 3, run.stdout);
    assert.match(lines[0] ?? '', /^\d{4}-\d\d-\d\dT[\d:.]+Z orchestrator closed \(fail_counter 0\/5\)$/);
    assert.match(lines[1] ?? '', / orchestrator closed → open /);
    assert.match(lines[2] ?? '', / orchestrator open → closed /);
  });

  it('Ctrl-C stops a load run cleanly and still writes the report', async () => {
    const reportPath = join(directory, 'interrupted.json');
    const loading = shield('load', '--server', hostPort, '--tool', 'lightrag_query', '--args', QUERY, '--concurrency', '2', '--duration', '30s', '--report', reportPath);
    await new Promise((resolve) => setTimeout(resolve, 700));
    process.emit('SIGINT');
    const run = await loading;
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /stopping: finishing the report/);
    assert.match(run.stdout, /stopped early/);
    const report = parseLoadReport(JSON.parse(await readFile(reportPath, 'utf8')));
    assert.equal(report.stop_reason, 'aborted');
    assert.ok(report.elapsed_ms < 10_000);
  });

  it('invoke prints the answer and exits 0 once the orchestrator is back', async () => {
    const run = await shield('invoke', '--server', server.url, '--tool', 'lightrag_query', '--args', QUERY, '--json');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const result = JSON.parse(run.stdout) as { content: Array<{ text: string }> };
    assert.match(result.content[0]?.text ?? '', /test/);
    assert.match(run.stderr, /^elapsed: /m);
  });
});
