/**
 * The load test plan's scenarios 2 and 3 (scaled down: 300 ms timeout, 600 ms reset), the first
 * wave against a hung upstream bounded by the bulkhead, and each upstream failure's reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectClient, deadUrl, orchestratorConfig, startShield, startUpstream, toolError } from './server-helpers.js';
import type { RawBody, TestServer } from './server-helpers.js';

const QUERY = { name: 'lightrag_query', arguments: { query: 'test', mode: 'hybrid' } };

async function healthOf(shield: TestServer): Promise<RawBody> {
  const response = await fetch(`${shield.origin}/health`);
  assert.equal(response.status, 200);
  return response.json();
}

function transitions(shield: TestServer): string[] {
  return shield.logs
    .filter((line) => line.event === 'circuit_breaker_state_change')
    .map((line) => `${line.from}->${line.to}@${line.fail_counter}`);
}

describe('circuit breaker through the server (plan scenarios 2 and 3, scaled down)', () => {
  it('opens after 5 failures, fails fast, goes half-open after the reset timeout and closes after one success', async () => {
    const url = await deadUrl();
    const shield = await startShield(
      orchestratorConfig(url, { timeout: '300ms', breaker: { fail_max: 5, reset_timeout: '600ms' } }),
    );
    const client = await connectClient('v1', shield.url);
    try {
      // Scenario 2: the orchestrator is stopped.
      for (let i = 1; i <= 5; i++) {
        const result = await client.callTool(QUERY);
        assert.equal(result.isError, true, `call ${i}`);
        const error = toolError(result);
        assert.equal(error.type, 'orchestrator_error', `call ${i}`);
        assert.equal(error.reason, 'connection_refused', `call ${i}`);
        assert.equal(error.upstream, 'orchestrator');
        assert.match(String((result.content as Array<{ text: string }>)[0]!.text), /^orchestrator_error \(connection_refused\): /);
        if (i === 5) assert.deepEqual(error.circuit, { state: 'open', fail_counter: 5 });
      }
      const open = (await healthOf(shield)).circuit_breakers.orchestrator;
      assert.equal(open.state, 'open');
      assert.equal(open.fail_counter, 5);
      assert.equal(open.fail_max, 5);
      assert.equal(open.reset_timeout_s, 0.6);
      assert.ok(open.opened_at !== null);
      assert.equal((await fetch(`${shield.origin}/ready`)).status, 503);

      const started = performance.now();
      const fast = await client.callTool(QUERY);
      const elapsed = performance.now() - started;
      const error = toolError(fast);
      assert.equal(error.type, 'circuit_breaker_error');
      assert.deepEqual(error.circuit, { state: 'open', fail_counter: 5 });
      assert.ok(Number(error.retry_after_ms) > 0 && Number(error.retry_after_ms) <= 600, `retry_after_ms ${error.retry_after_ms}`);
      assert.ok(elapsed < 100, `fast-fail took ${elapsed} ms`);

      // Scenario 3: after the reset timeout the circuit is half-open; the orchestrator comes back.
      const upstream = await startUpstream('ok', Number(new URL(url).port));
      try {
        await new Promise((resolve) => setTimeout(resolve, 650));
        assert.equal((await healthOf(shield)).circuit_breakers.orchestrator.state, 'half_open');
        const recovered = await client.callTool(QUERY);
        assert.equal(recovered.isError, undefined);
        const closed = (await healthOf(shield)).circuit_breakers.orchestrator;
        assert.equal(closed.state, 'closed');
        assert.equal(closed.fail_counter, 0);
        assert.equal((await client.callTool(QUERY)).isError, undefined);
        assert.equal((await fetch(`${shield.origin}/ready`)).status, 200);
      } finally {
        await upstream.close();
      }
      const seen = transitions(shield);
      assert.equal(seen[0], 'closed->open@5');
      assert.equal(seen.filter((t) => t.startsWith('closed->open')).length, 1);
      assert.match(seen.at(-1)!, /->closed@0$/);
    } finally {
      await client.close();
      await shield.close(100);
    }
  });

  it('50 simultaneous calls against a hung upstream with max_concurrent 5: 5 reach it, 45 fail fast as overloaded', async () => {
    const upstream = await startUpstream('hang');
    const shield = await startShield(orchestratorConfig(upstream.url, { timeout: '500ms', max_concurrent: 5 }));
    const client = await connectClient('v2-modern', shield.url);
    try {
      const order: string[] = [];
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          client.callTool(QUERY).then((result) => {
            const error = toolError(result);
            order.push(`${error.type}:${error.reason ?? ''}`);
            return error;
          }),
        ),
      );
      const overloaded = results.filter((e) => e.type === 'overloaded');
      const timedOut = results.filter((e) => e.type === 'orchestrator_error' && e.reason === 'timeout');
      assert.equal(overloaded.length, 45);
      assert.equal(timedOut.length, 5);
      assert.equal(upstream.received, 5);
      // Every rejection came back before the first timeout.
      assert.deepEqual(order.slice(0, 45), Array(45).fill('overloaded:'));
      await upstream.waitForAborts(5);
      const metrics = await (await fetch(`${shield.origin}/metrics`)).text();
      assert.match(metrics, /shield_bulkhead_rejections_total\{upstream="orchestrator",reason="overloaded"\} 45/);
    } finally {
      await client.close();
      await shield.close(100);
      await upstream.close();
    }
  });

  it('a call that exceeds the timeout is orchestrator_error(timeout) and the upstream request is closed', async () => {
    const upstream = await startUpstream('hang');
    const shield = await startShield(orchestratorConfig(upstream.url, { timeout: '300ms' }));
    const client = await connectClient('v2-legacy', shield.url);
    try {
      const result = await client.callTool(QUERY);
      const error = toolError(result);
      assert.equal(error.type, 'orchestrator_error');
      assert.equal(error.reason, 'timeout');
      await upstream.waitForAborts(1);
      assert.equal(upstream.aborted, 1);
    } finally {
      await client.close();
      await shield.close(100);
      await upstream.close();
    }
  });

  it('maps each upstream failure to its reason; a 4xx answer counts as the upstream being alive', async () => {
    const upstream = await startUpstream('error500');
    const shield = await startShield(orchestratorConfig(upstream.url, { breaker: { fail_max: 10 } }));
    const client = await connectClient('v1', shield.url);
    try {
      const expectations: Array<[typeof upstream.mode, string, RegExp, number]> = [
        ['error500', 'http_status', /HTTP 500: LLM backend unavailable/, 1],
        ['not_json', 'invalid_response', /not JSON/, 2],
        ['reset', 'connection_reset', /connection to orchestrator broke/, 3],
        // The upstream answered: like PyBreaker's `exclude`, that counts as a success.
        ['status422', 'http_status', /HTTP 422/, 0],
      ];
      for (const [mode, reason, message, failCounter] of expectations) {
        upstream.mode = mode;
        const error = toolError(await client.callTool(QUERY));
        assert.equal(error.type, 'orchestrator_error', mode);
        assert.equal(error.reason, reason, mode);
        assert.match(String(error.message), message);
        assert.equal((await healthOf(shield)).circuit_breakers.orchestrator.fail_counter, failCounter, mode);
      }
    } finally {
      await client.close();
      await shield.close(100);
      await upstream.close();
    }
  });

  it('with the breaker disabled (the plan baseline) every call reaches the upstream and the circuit never opens', async () => {
    const url = await deadUrl();
    const shield = await startShield(orchestratorConfig(url, { breaker: { enabled: false } }));
    const client = await connectClient('v2-modern', shield.url);
    try {
      for (let i = 0; i < 8; i++) assert.equal(toolError(await client.callTool(QUERY)).type, 'orchestrator_error');
      assert.equal((await healthOf(shield)).circuit_breakers.orchestrator.state, 'closed');
      assert.deepEqual(transitions(shield), []);
    } finally {
      await client.close();
      await shield.close(100);
    }
  });
});
