/**
 * close() leaves nothing behind: a child process starts a simulator and a proxy, leaves hung,
 * slow and idle keep-alive connections open in every mode, closes both handles, and must then
 * exit on its own (no process.exit), with no sockets or timers left.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

const SIM = new URL('../src/sim/index.ts', import.meta.url).href;

const CHILD = `
import { createConnection } from 'node:net';
import { startSim, startChaosProxy } from ${JSON.stringify(SIM)};

const sim = await startSim({ latency: { minMs: 5, maxMs: 50 } });
const proxy = await startChaosProxy({ target: sim.url });
const sockets = [];
function send(port) {
  const socket = createConnection(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.write('POST /query HTTP/1.1\\r\\nhost: x\\r\\ncontent-type: application/json\\r\\ncontent-length: 16\\r\\n\\r\\n{"query":"test"}');
  sockets.push(socket);
}
for (const mode of [{ mode: 'hang' }, { mode: 'slow', delay_ms: 60_000 }, { mode: 'healthy' }]) {
  await sim.setMode(mode);
  await proxy.setMode(mode);
  send(sim.port);
  send(proxy.port);
}
await sim.setMode({ mode: 'slow', delay_ms: 60_000 });
await proxy.setMode({ mode: 'healthy' });
send(proxy.port);
await new Promise((resolve) => setTimeout(resolve, 200));
const started = performance.now();
await proxy.close();
await sim.close();
for (const socket of sockets) socket.destroy();
await new Promise((resolve) => setImmediate(resolve));
const left = process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap' && kind !== 'PipeWrap');
console.log(JSON.stringify({ closeMs: performance.now() - started, left }));
`;

test('close() shuts everything promptly, hung and slow requests included; the process exits by itself', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
  );
  clearTimeout(killer);
  assert.equal(signal, null, `the child had to be killed: it did not exit on its own. ${stdout} ${stderr}`);
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { closeMs: number; left: string[] };
  assert.deepEqual(report.left, [], 'no sockets, servers or timers left');
  assert.ok(report.closeMs < 5_000, `close took ${report.closeMs} ms`);
});
