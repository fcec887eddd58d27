/** `shield sim`, `shield chaos-proxy` and `shield chaos` as a user runs them: output, errors, exit codes. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { test } from 'node:test';
import { startSim } from '../src/sim/index.js';
import { outcome } from './sim-support.js';

const CLI = new URL('../src/cli/main.ts', import.meta.url).pathname;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function shield(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts a long-running command and waits until it prints its control URL. */
function startLongRunning(...args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; output: () => string; controlUrl: string; dataUrl: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args]);
  let output = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
      const control = /--control (http:\/\/\S+)/.exec(output);
      const data = /(?:at|proxy:) (http:\/\/[\d.:]+)/.exec(output);
      if (control?.[1] && data?.[1]) resolve({ child, output: () => output, controlUrl: control[1], dataUrl: data[1] });
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
}

function stop(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

test('shield sim + shield chaos: take it down, bring it up, read the status; SIGTERM exits 0', async () => {
  const sim = await startLongRunning('sim', '--port', '0', '--control-port', '0', '--latency', '1ms..3ms');
  try {
    assert.match(sim.output(), /orchestrator at http:\/\/127\.0\.0\.1:\d+ .*latency 1ms\.\.3ms, mode healthy/);
    assert.equal(await outcome(sim.dataUrl), '200');

    const down = await shield('chaos', 'down', '--control', sim.controlUrl);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /port closed/);
    assert.equal(await outcome(sim.dataUrl), 'ECONNREFUSED');

    const flaky = await shield('chaos', 'flaky', '0.5', '--fault', 'hang', '--seed', '7', '--control', sim.controlUrl);
    assert.equal(flaky.code, 0, flaky.stderr);
    assert.match(flaky.stdout, /mode: flaky \(50% of requests get hang, seed 7\)/);

    const status = await shield('chaos', 'status', '--json', '--control', sim.controlUrl);
    assert.equal(status.code, 0);
    assert.deepEqual(JSON.parse(status.stdout).mode, { mode: 'flaky', rate: 0.5, fault: 'hang', status: 500, seed: 7, per: 'request' });
    assert.match(sim.output(), /mode: down\n.*mode: flaky/, 'the simulator logs each switch');
  } finally {
    assert.equal(await stop(sim.child), 0);
  }
});

test('shield chaos-proxy in front of a simulator, switched by shield chaos', async () => {
  const upstream = await startSim();
  const proxy = await startLongRunning('chaos-proxy', '--target', upstream.url, '--listen', '127.0.0.1:0', '--control', '127.0.0.1:0');
  try {
    assert.equal(await outcome(proxy.dataUrl), '200');
    const error = await shield('chaos', 'error', '503', '--control', proxy.controlUrl);
    assert.equal(error.code, 0, error.stderr);
    assert.match(error.stdout, /^chaos proxy at http:\S+ -> http:\S+ \(listening\)\nmode: error \(HTTP 503\)\n/);
    assert.equal(await outcome(proxy.dataUrl), '503');
  } finally {
    assert.equal(await stop(proxy.child), 0);
    await upstream.close();
  }
});

test('bad input: one clear line naming what is wrong, exit 2; an unreachable control API exits 3', async () => {
  const dead = await startSim();
  const deadControl = dead.controlUrl;
  await dead.close();
  const cases: Array<[string[], number, RegExp]> = [
    [['chaos', 'sideways'], 2, /unknown mode 'sideways'; expected one of healthy, up, down, hang, slow, error, reset, garbage, flaky/],
    [['chaos', 'flaky', '1.5'], 2, /rate '1\.5' is outside 0\.\.1/],
    [['chaos', 'down', '--control', deadControl], 3, /cannot reach the chaos control API at .*ECONNREFUSED/],
    [['sim', '--latency', '200ms..20ms'], 2, /option '--latency <duration>' argument '200ms\.\.20ms' is invalid/],
  ];
  const runs = await Promise.all(cases.map(([args]) => shield(...args)));
  runs.forEach((run, i) => {
    const [args, code, message] = cases[i]!;
    assert.equal(run.code, code, `shield ${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.equal(run.stderr.trim().split('\n').length, 1, `one line: ${run.stderr}`);
  });
});

test('a data port in use is exit 2 naming the address', async () => {
  const occupant = await startSim();
  try {
    const run = await shield('sim', '--port', String(occupant.port), '--control-port', '0');
    assert.equal(run.code, 2);
    assert.match(run.stderr, new RegExp(`cannot listen: .*EADDRINUSE.*${occupant.port}`));
  } finally {
    await occupant.close();
  }
});
