/**
 * The chaos proxy in front of a real upstream: byte-transparent while healthy, and every fault as a
 * caller sees it, the same as from the simulator.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { Agent, Client } from 'undici';
import { probeTarget } from '../src/sim/chaos-proxy.js';
import { startChaosProxy, startSim } from '../src/sim/index.js';
import type { ChaosHandle } from '../src/sim/index.js';
import { fetchText, outcome, QUERY_BODY } from './sim-support.js';

let sim: ChaosHandle;
let proxy: ChaosHandle;

before(async () => {
  sim = await startSim();
  proxy = await startChaosProxy({ target: sim.url });
});
after(async () => {
  await proxy.close();
  await sim.close();
});

/** A raw TCP upstream that records what it receives and answers each chunk group with `reply`. */
async function rawUpstream(reply: Buffer): Promise<{ server: Server; port: number; received: () => Buffer }> {
  const chunks: Buffer[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (Buffer.concat(chunks).includes('\r\n\r\nEND')) socket.end(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { server, port: address.port, received: () => Buffer.concat(chunks) };
}

function rawExchange(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.end(payload));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

test('healthy: byte-identical in both directions, large payloads included', async () => {
  const reply = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nX-Odd:  spaced \r\n\r\n'), randomBytes(2 * 1024 * 1024)]);
  const upstream = await rawUpstream(reply);
  const rawProxy = await startChaosProxy({ target: `http://127.0.0.1:${upstream.port}` });
  try {
    const request = Buffer.concat([Buffer.from('POST /query HTTP/1.1\r\nHost: x\r\n'), randomBytes(1024 * 1024), Buffer.from('\r\n\r\nEND')]);
    const received = await rawExchange(rawProxy.port, request);
    assert.ok(received.equals(reply), 'the caller got exactly the upstream bytes');
    assert.ok(upstream.received().equals(request), 'the upstream got exactly the caller bytes');
  } finally {
    await rawProxy.close();
    upstream.server.close();
  }
});

test('healthy: a proxied call equals a direct call, successes and LightRAG errors alike', async () => {
  await proxy.setMode({ mode: 'healthy' });
  for (const options of [{}, { body: '{"mode":"hybrid"}' }, { path: '/health', method: 'GET' as const }]) {
    assert.deepEqual(await fetchText(proxy.url, options), await fetchText(sim.url, options));
  }
});

test('down refuses new connections and drops open ones; up reopens the same port', async () => {
  const pool = new Agent();
  try {
    await proxy.setMode({ mode: 'healthy' });
    const port = proxy.port;
    assert.equal(await outcome(proxy.url, { dispatcher: pool }), '200');
    await proxy.setMode({ mode: 'down' });
    assert.equal(await outcome(proxy.url, { dispatcher: pool }), 'ECONNREFUSED');
    assert.equal(await outcome(proxy.url), 'ECONNREFUSED');
    assert.ok(proxy.counters().faults_by_kind.down >= 1, 'the pooled connection was dropped');
    await proxy.setMode({ mode: 'up' });
    assert.equal(proxy.port, port);
    assert.equal(await outcome(proxy.url, { dispatcher: pool }), '200');
    assert.equal(sim.mode().mode, 'healthy', 'the upstream itself was never touched');
  } finally {
    await pool.close();
  }
});

test('hang: a black hole, the caller times out; the upstream never sees the request', async () => {
  await proxy.setMode({ mode: 'hang' });
  const upstreamRequests = sim.counters().requests;
  assert.equal(await outcome(proxy.url, { timeoutMs: 150 }), 'timeout');
  assert.equal(sim.counters().requests, upstreamRequests);
  await proxy.setMode({ mode: 'healthy' });
});

test('slow delays each request; the reply is still the upstream reply', async () => {
  await proxy.setMode({ mode: 'slow', delay_ms: 150 });
  const client = new Client(proxy.url);
  try {
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      const response = await client.request({ path: '/query', method: 'POST', body: QUERY_BODY });
      assert.equal(response.statusCode, 200);
      assert.match(await response.body.text(), /"response"/);
      assert.ok(performance.now() - started >= 140, `request ${i + 1} on the same connection is delayed too`);
    }
  } finally {
    await client.close();
  }
  await proxy.setMode({ mode: 'healthy' });
});

test('error, reset and garbage, as the caller sees them', async () => {
  await proxy.setMode({ mode: 'error', status: 503 });
  const error = await fetchText(proxy.url);
  assert.equal(error.status, 503);
  assert.equal(typeof JSON.parse(error.body).detail, 'string');
  await proxy.setMode({ mode: 'reset' });
  assert.equal(await outcome(proxy.url), 'ECONNRESET');
  await proxy.setMode({ mode: 'garbage' });
  assert.equal(await outcome(proxy.url), 'not-json');
  await proxy.setMode({ mode: 'healthy' });
  assert.equal(await outcome(proxy.url), '200');
  const kinds = proxy.counters().faults_by_kind;
  assert.ok(kinds.error >= 1 && kinds.reset >= 1 && kinds.garbage >= 1);
});

test('flaky per request and per connection, seeded', async () => {
  await proxy.setMode({ mode: 'flaky', rate: 0.5, status: 503, seed: 11 });
  const client = new Client(proxy.url);
  const perRequest: string[] = [];
  try {
    for (let i = 0; i < 400; i++) {
      const response = await client.request({ path: '/query', method: 'POST', body: QUERY_BODY });
      await response.body.dump();
      perRequest.push(String(response.statusCode));
    }
  } finally {
    await client.close();
  }
  const faults = perRequest.filter((status) => status === '503').length;
  assert.ok(faults > 150 && faults < 250, `${faults} of 400 faulted`);

  await proxy.setMode({ mode: 'flaky', rate: 0.5, fault: 'reset', per: 'connection', seed: 11 });
  const perConnection = await Promise.all(Array.from({ length: 30 }, () => outcome(proxy.url, { dispatcher: new Agent() })));
  assert.ok(perConnection.every((result) => result === '200' || result === 'ECONNRESET'), perConnection.join(','));
  const resets = perConnection.filter((result) => result === 'ECONNRESET').length;
  assert.ok(resets > 3 && resets < 27, `${resets} of 30 connections reset`);
  await proxy.setMode({ mode: 'healthy' });
});

test('an unreachable upstream drops the caller; the proxy keeps serving', async () => {
  const deadSim = await startSim();
  const deadUrl = deadSim.url;
  await deadSim.close();
  assert.equal(await probeTarget(deadUrl), 'ECONNREFUSED');
  assert.equal(await probeTarget(sim.url), undefined);
  const orphan = await startChaosProxy({ target: deadUrl });
  try {
    assert.equal(await outcome(orphan.url), 'closed');
    assert.equal(await outcome(orphan.url), 'closed');
    assert.equal(orphan.status().listening, true);
  } finally {
    await orphan.close();
  }
});

test('a target that is not an http:// URL is rejected at start', async () => {
  await assert.rejects(startChaosProxy({ target: 'orchestrator:9621' }), /only http:\/\/ targets/);
  await assert.rejects(startChaosProxy({ target: 'nope' }), /not a URL/);
});
