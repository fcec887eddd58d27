/**
 * Calls that end early (cancellation, disconnect), sessions that end (idle expiry, the cap),
 * and a server that ends (graceful shutdown with a call in flight).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectClient, openSession, orchestratorConfig, rawPost, startShield, startUpstream } from './server-helpers.js';
import type { RawBody } from './server-helpers.js';

const callBody = (id: number) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'lightrag_query', arguments: { query: 'slow' } } });

async function failCounter(origin: string): Promise<number> {
  return ((await (await fetch(`${origin}/health`)).json()) as RawBody).circuit_breakers.orchestrator.fail_counter;
}

describe('cancellation', () => {
  it('notifications/cancelled aborts the upstream request; the call counts neither way', async () => {
    const upstream = await startUpstream('hang');
    const shield = await startShield(orchestratorConfig(upstream.url, { timeout: '5s' }));
    try {
      const session = await openSession(shield.url);
      const pending = rawPost(shield.url, callBody(41), { 'mcp-session-id': session });
      await upstream.waitForRequests(1);
      const cancel = await rawPost(
        shield.url,
        JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 41, reason: 'user gave up' } }),
        { 'mcp-session-id': session },
      );
      assert.equal(cancel.status, 202);
      await upstream.waitForAborts(1);
      const reply = await pending;
      assert.equal(reply.body.error.code, -32800);
      assert.match(reply.body.error.message, /user gave up/);
      assert.equal(await failCounter(shield.origin), 0);
      assert.ok(shield.logs.some((line) => line.event === 'tool_call_cancelled'));
    } finally {
      await shield.close(100);
      await upstream.close();
    }
  });

  for (const era of ['v1', 'v2-modern'] as const) {
    it(`${era}: a client that aborts its call aborts the upstream request`, async () => {
      const upstream = await startUpstream('hang');
      const shield = await startShield(orchestratorConfig(upstream.url, { timeout: '5s' }));
      const client = await connectClient(era, shield.url);
      try {
        const controller = new AbortController();
        const call = client.callTool({ name: 'lightrag_query', arguments: { query: 'q' } }, { signal: controller.signal });
        await upstream.waitForRequests(1);
        controller.abort();
        await assert.rejects(call);
        await upstream.waitForAborts(1);
        assert.equal(await failCounter(shield.origin), 0);
      } finally {
        await client.close();
        await shield.close(100);
        await upstream.close();
      }
    });
  }

  it('a client that disconnects mid-call aborts the upstream request', async () => {
    const upstream = await startUpstream('hang');
    const shield = await startShield(orchestratorConfig(upstream.url, { timeout: '5s' }));
    try {
      const session = await openSession(shield.url);
      const controller = new AbortController();
      const call = fetch(shield.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'mcp-session-id': session },
        body: callBody(1),
        signal: controller.signal,
      });
      await upstream.waitForRequests(1);
      controller.abort();
      await assert.rejects(call);
      await upstream.waitForAborts(1);
      assert.equal(upstream.aborted, 1);
    } finally {
      await shield.close(100);
      await upstream.close();
    }
  });
});

describe('sessions', () => {
  it('an idle session expires (then 404, so the client re-initialises)', async () => {
    const upstream = await startUpstream('ok');
    const shield = await startShield(orchestratorConfig(upstream.url, {}, { server: { session_idle_timeout: '150ms' } }));
    try {
      const session = await openSession(shield.url);
      assert.equal((await rawPost(shield.url, callBody(1), { 'mcp-session-id': session })).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 250));
      assert.equal((await rawPost(shield.url, callBody(2), { 'mcp-session-id': session })).status, 404);
    } finally {
      await shield.close(100);
      await upstream.close();
    }
  });

  it('at the cap, the least recently used session is evicted', async () => {
    const upstream = await startUpstream('ok');
    const shield = await startShield(orchestratorConfig(upstream.url, {}, { server: { max_sessions: 2 } }));
    try {
      const first = await openSession(shield.url);
      const second = await openSession(shield.url);
      assert.equal((await rawPost(shield.url, callBody(1), { 'mcp-session-id': first })).status, 200);
      const third = await openSession(shield.url);
      assert.equal((await rawPost(shield.url, callBody(2), { 'mcp-session-id': second })).status, 404);
      assert.equal((await rawPost(shield.url, callBody(3), { 'mcp-session-id': first })).status, 200);
      assert.equal((await rawPost(shield.url, callBody(4), { 'mcp-session-id': third })).status, 200);
      const metrics = await (await fetch(`${shield.origin}/metrics`)).text();
      assert.match(metrics, /^shield_mcp_sessions_open 2$/m);
    } finally {
      await shield.close(100);
      await upstream.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('lets a call in flight finish within the grace period, refusing new connections meanwhile', async () => {
    const upstream = await startUpstream('hang');
    const shield = await startShield(orchestratorConfig(upstream.url, { timeout: '5s' }));
    const client = await connectClient('v2-modern', shield.url);
    try {
      const call = client.callTool({ name: 'lightrag_query', arguments: { query: 'q' } });
      await upstream.waitForRequests(1);
      let closed = false;
      const closing = shield.close(5000).then(() => {
        closed = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(closed, false);
      await assert.rejects(fetch(`${shield.origin}/health`));
      upstream.release();
      const result = await call;
      assert.deepEqual(result.content, [{ type: 'text', text: 'released' }]);
      await closing;
      assert.ok(shield.logs.some((line) => line.event === 'stopped'));
    } finally {
      await client.close();
      await upstream.close();
    }
  });

  it('aborts calls still in flight when the grace period ends', async () => {
    const upstream = await startUpstream('hang');
    const shield = await startShield(orchestratorConfig(upstream.url, { timeout: '5s' }));
    try {
      const session = await openSession(shield.url);
      const call = rawPost(shield.url, callBody(1), { 'mcp-session-id': session }).catch((error: unknown) => error);
      await upstream.waitForRequests(1);
      await shield.close(100);
      await upstream.waitForAborts(1);
      assert.ok(shield.logs.some((line) => line.event === 'shutdown_abort'));
      await call;
    } finally {
      await upstream.close();
    }
  });
});
