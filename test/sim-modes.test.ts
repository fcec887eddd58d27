/** Each fault mode of `startSim`, observed the way a real caller (undici, node:http) sees it. */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { Agent } from 'undici';
import { startSim } from '../src/sim/index.js';
import type { ChaosHandle } from '../src/sim/index.js';
import { fetchText, outcome } from './sim-support.js';

let sim: ChaosHandle;

before(async () => {
  sim = await startSim();
});
after(async () => {
  await sim.close();
});

/** A node:http call, classified: the status, or the error code, or `timeout`. */
function nodeHttpOutcome(url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const req = httpRequest(`${url}/query`, { method: 'POST', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
      res.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve('timeout');
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end('{"query":"test","mode":"hybrid"}');
  });
}

test('healthy: LightRAG answers, deterministic per query and mode, and LightRAG-style errors', async () => {
  await sim.setMode({ mode: 'healthy' });
  const first = await fetchText(sim.url);
  assert.equal(first.status, 200);
  const { response } = JSON.parse(first.body) as { response: string };
  assert.match(response, /hybrid.*test/);
  assert.deepEqual(await fetchText(sim.url), first, 'same query, same answer');
  const other = await fetchText(sim.url, { body: JSON.stringify({ query: 'test', mode: 'local' }) });
  assert.notEqual(JSON.parse(other.body).response, response, 'the mode changes the answer');

  const health = await fetchText(sim.url, { method: 'GET', path: '/health' });
  assert.equal(health.status, 200);
  assert.equal(JSON.parse(health.body).status, 'healthy');

  const missing = await fetchText(sim.url, { body: '{"mode":"hybrid"}' });
  assert.equal(missing.status, 422);
  assert.deepEqual(JSON.parse(missing.body).detail[0].loc, ['body', 'query']);
  const badMode = await fetchText(sim.url, { body: '{"query":"x","mode":"fast"}' });
  assert.equal(badMode.status, 422);
  assert.deepEqual(JSON.parse(badMode.body).detail[0].loc, ['body', 'mode']);
  const notJson = await fetchText(sim.url, { body: '{"query":' });
  assert.equal(notJson.status, 422);
  assert.equal(JSON.parse(notJson.body).detail[0].type, 'json_invalid');
  assert.equal((await fetchText(sim.url, { path: '/nope' })).status, 404);
  assert.equal((await fetchText(sim.url, { method: 'GET' })).status, 405);
  assert.equal((await fetchText(sim.url, { body: `{"query":"${'x'.repeat(1_100_000)}"}` })).status, 413);
  assert.equal(await outcome(sim.url), '200', 'still serving after bad requests');
});

test('down closes the port (ECONNREFUSED, open connections dropped); up reopens the same port', async () => {
  const pool = new Agent({ keepAliveTimeout: 60_000 });
  try {
    await sim.setMode({ mode: 'healthy' });
    const port = sim.port;
    assert.equal(await outcome(sim.url, { dispatcher: pool }), '200', 'a pooled keep-alive connection exists');
    const idle = connect(port, '127.0.0.1');
    await new Promise((resolve) => idle.once('connect', resolve));
    const idleClosed = new Promise((resolve) => idle.once('close', resolve));

    const status = await sim.setMode({ mode: 'down' });
    assert.equal(status.listening, false);
    await idleClosed;
    assert.equal(await outcome(sim.url, { dispatcher: pool }), 'ECONNREFUSED', 'the pooled caller');
    assert.equal(await outcome(sim.url), 'ECONNREFUSED', 'a fresh caller');
    assert.equal(await nodeHttpOutcome(sim.url, 2_000), 'ECONNREFUSED', 'node:http');
    assert.ok(sim.counters().faults_by_kind.down >= 2, 'dropped connections are counted');

    await sim.setMode({ mode: 'up' });
    assert.equal(sim.port, port, 'same port');
    assert.deepEqual(sim.mode(), { mode: 'healthy' });
    assert.equal(await outcome(sim.url, { dispatcher: pool }), '200');
  } finally {
    await pool.close();
  }
});

test('hang accepts the request and never answers: the caller times out', async () => {
  await sim.setMode({ mode: 'hang' });
  const before = sim.counters().faults_by_kind.hang;
  assert.equal(await outcome(sim.url, { timeoutMs: 150 }), 'timeout');
  assert.equal(await nodeHttpOutcome(sim.url, 150), 'timeout');
  assert.equal(sim.counters().faults_by_kind.hang, before + 2);
  await sim.setMode({ mode: 'healthy' });
  assert.equal(await outcome(sim.url), '200');
});

test('slow answers after the delay; a caller with a shorter timeout gives up', async () => {
  await sim.setMode({ mode: 'slow', delay_ms: 200 });
  const started = performance.now();
  assert.equal(await outcome(sim.url), '200');
  assert.ok(performance.now() - started >= 190, 'not before the delay');
  assert.equal(await nodeHttpOutcome(sim.url, 50), 'timeout');
  await sim.setMode({ mode: 'healthy' });
});

test('error answers with the status (default 500) and a {detail} body', async () => {
  await sim.setMode({ mode: 'error', status: 503 });
  const reply = await fetchText(sim.url);
  assert.equal(reply.status, 503);
  assert.equal(typeof JSON.parse(reply.body).detail, 'string');
  assert.equal(await nodeHttpOutcome(sim.url, 2_000), '503');
  await sim.setMode({ mode: 'error' });
  assert.equal(await outcome(sim.url), '500');
  await sim.setMode({ mode: 'healthy' });
});

test('reset: the caller sees ECONNRESET; the simulator keeps serving', async () => {
  await sim.setMode({ mode: 'reset' });
  assert.equal(await outcome(sim.url), 'ECONNRESET');
  assert.equal(await nodeHttpOutcome(sim.url, 2_000), 'ECONNRESET');
  await sim.setMode({ mode: 'healthy' });
  assert.equal(await outcome(sim.url), '200');
});

test('garbage: a 200 whose body is not JSON', async () => {
  await sim.setMode({ mode: 'garbage' });
  assert.equal(await outcome(sim.url), 'not-json');
  await sim.setMode({ mode: 'healthy' });
});

test('faults apply to /health too, as on a real sick service', async () => {
  await sim.setMode({ mode: 'error', status: 502 });
  assert.equal(await outcome(sim.url, { method: 'GET', path: '/health' }), '502');
  await sim.setMode({ mode: 'healthy' });
});

test('latency: a fixed latency delays every answer', async () => {
  const slowSim = await startSim({ latency: { minMs: 100, maxMs: 100 } });
  try {
    const started = performance.now();
    assert.equal(await outcome(slowSim.url), '200');
    assert.ok(performance.now() - started >= 95);
    assert.equal(slowSim.status().latency, '100ms');
  } finally {
    await slowSim.close();
  }
});

test('counters count requests, connections and faults by kind', async () => {
  const fresh = await startSim({ mode: { mode: 'error', status: 500 } });
  try {
    for (let i = 0; i < 3; i++) await outcome(fresh.url);
    const counters = fresh.counters();
    assert.equal(counters.requests, 3);
    assert.equal(counters.faults, 3);
    assert.equal(counters.faults_by_kind.error, 3);
    assert.ok(counters.connections >= 1);
  } finally {
    await fresh.close();
  }
});

test('an invalid mode passed in-process is a TypeError naming the field', async () => {
  await assert.rejects(sim.setMode({ mode: 'flaky', rate: 2 }), /rate/);
  await assert.rejects(startSim({ mode: { mode: 'slow' } as never }), /delay_ms/);
});
