/**
 * Bad input at every layer gets a precise answer while the server keeps serving; auth, Host/Origin
 * protection, admin routes, /ready and /metrics (checked with promtool when it is installed).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { connectClient, openSession, orchestratorConfig, rawPost, startShield, startUpstream } from './server-helpers.js';
import type { RawBody, TestServer, TestUpstream } from './server-helpers.js';

const CALL = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'lightrag_query', arguments: { query: 'q' } } });
const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

describe('HTTP front: bad input, security, operations', () => {
  let upstream: TestUpstream;
  let shield: TestServer;
  let session: string;

  before(async () => {
    upstream = await startUpstream('ok');
    shield = await startShield(
      orchestratorConfig(upstream.url, {}, { server: { max_body_bytes: 4096, admin_token: 'admin-secret', allowed_origins: ['app.example.com'] } }),
    );
    session = await openSession(shield.url);
  });
  after(async () => {
    await shield.close(100);
    await upstream.close();
  });

  /** After each bad request the server must still answer a real tool call. */
  async function assertStillServing(): Promise<void> {
    const reply = await rawPost(shield.url, CALL, { 'mcp-session-id': session });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.result.content[0].text, 'answer to q');
  }

  const cases: Array<{ name: string; send: () => Promise<{ status: number; body: RawBody; headers: Headers }>; status: number; code?: number; message: RegExp }> = [
    {
      name: 'malformed JSON',
      send: () => rawPost(shield.url, '{"jsonrpc": "2.0", "id": 1,', { 'mcp-session-id': session }),
      status: 400,
      code: -32700,
      message: /^Parse error: the body is not valid JSON/,
    },
    {
      name: 'wrong content type',
      send: () => rawPost(shield.url, CALL, { 'content-type': 'text/plain', 'mcp-session-id': session }),
      status: 415,
      message: /Content-Type must be application\/json \(got 'text\/plain'\)/,
    },
    {
      name: 'oversized body',
      send: () => rawPost(shield.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(5000) } }), { 'mcp-session-id': session }),
      status: 413,
      message: /exceeds 4096 bytes/,
    },
    {
      name: 'unknown session',
      send: () => rawPost(shield.url, CALL, { 'mcp-session-id': 'no-such-session' }),
      status: 404,
      code: -32001,
      message: /^Session not found$/,
    },
    {
      name: 'missing session',
      send: () => rawPost(shield.url, CALL),
      status: 400,
      code: -32000,
      message: /Mcp-Session-Id header is required/,
    },
    {
      name: 'not a JSON-RPC message',
      send: () => rawPost(shield.url, JSON.stringify({ hello: 'world' }), { 'mcp-session-id': session }),
      status: 400,
      code: -32600,
      message: /needs a 'method'/,
    },
    {
      name: 'a batch',
      send: () => rawPost(shield.url, `[${CALL}]`, { 'mcp-session-id': session }),
      status: 400,
      code: -32600,
      message: /batches are not supported/,
    },
    {
      name: 'unknown method',
      send: () => rawPost(shield.url, JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'resources/list' }), { 'mcp-session-id': session }),
      status: 200,
      code: -32601,
      message: /Method not found: resources\/list/,
    },
    {
      name: 'tools/call without a name',
      send: () => rawPost(shield.url, JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: {} }), { 'mcp-session-id': session }),
      status: 200,
      code: -32602,
      message: /Invalid params: params.name/,
    },
    {
      name: 'unknown tool',
      send: () => rawPost(shield.url, JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'nope' } }), { 'mcp-session-id': session }),
      status: 200,
      code: -32602,
      message: /Unknown tool: nope/,
    },
    {
      name: 'bad Origin',
      send: () => rawPost(shield.url, CALL, { 'mcp-session-id': session, origin: 'http://evil.example' }),
      status: 403,
      message: /Origin 'http:\/\/evil.example' is not allowed/,
    },
    {
      name: 'modern request without the Mcp-Method header',
      send: () =>
        rawPost(
          shield.url,
          JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'tools/list', params: { _meta: MODERN_META } }),
          { 'mcp-protocol-version': '2026-07-28' },
        ),
      status: 400,
      code: -32020,
      message: /Mcp-Method header is absent/,
    },
    {
      name: 'modern tools/call whose Mcp-Name disagrees with the body',
      send: () =>
        rawPost(
          shield.url,
          JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'lightrag_query', arguments: { query: 'q' }, _meta: MODERN_META } }),
          { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'other_tool' },
        ),
      status: 400,
      code: -32020,
      message: /Mcp-Name header names "other_tool"/,
    },
    {
      name: 'unsupported legacy protocol version header',
      send: () => rawPost(shield.url, CALL, { 'mcp-session-id': session, 'mcp-protocol-version': '1999-01-01' }),
      status: 400,
      code: -32000,
      message: /unsupported MCP-Protocol-Version 1999-01-01/,
    },
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.status} with a precise message, and the server keeps serving`, async () => {
      const reply = await c.send();
      assert.equal(reply.status, c.status);
      assert.equal(reply.headers.get('content-type'), 'application/json');
      assert.equal(reply.body.jsonrpc, '2.0');
      if (c.code !== undefined) assert.equal(reply.body.error.code, c.code);
      assert.match(reply.body.error.message, c.message);
      assert.doesNotMatch(JSON.stringify(reply.body), /at .*\.(ts|js):\d+/);
      await assertStillServing();
    });
  }

  it('a bad Host header (DNS rebinding) is refused', async () => {
    // fetch will not let us set Host, so speak HTTP by hand.
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(shield.url, { method: 'POST', headers: { host: 'attacker.example:8081', 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(CALL);
    });
    assert.equal(status, 403);
    await assertStillServing();
  });

  it('an allowed Origin passes', async () => {
    const reply = await rawPost(shield.url, CALL, { 'mcp-session-id': session, origin: 'https://app.example.com' });
    assert.equal(reply.status, 200);
  });

  it('GET /mcp is 405 with Allow; DELETE ends a session, which is then unknown', async () => {
    const get = await fetch(shield.url, { headers: { accept: 'text/event-stream' } });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST, DELETE');
    const doomed = await openSession(shield.url);
    assert.equal((await fetch(shield.url, { method: 'DELETE', headers: { 'mcp-session-id': doomed } })).status, 200);
    assert.equal((await rawPost(shield.url, CALL, { 'mcp-session-id': doomed })).status, 404);
    assert.equal((await fetch(shield.url, { method: 'DELETE', headers: { 'mcp-session-id': doomed } })).status, 404);
  });

  it('notifications are accepted with 202 and no body', async () => {
    const reply = await rawPost(shield.url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), { 'mcp-session-id': session });
    assert.equal(reply.status, 202);
    assert.equal(reply.body, '');
  });

  it('admin: open / reset with the admin token; refused without it; the breaker follows', async () => {
    const admin = (action: string, token?: string) =>
      fetch(`${shield.origin}/admin/breakers/orchestrator/${action}`, {
        method: 'POST',
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    const anonymous = await admin('open');
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer realm="shield-admin"/);
    assert.equal((await admin('open', 'wrong')).status, 401);
    assert.equal((await fetch(`${shield.origin}/admin/breakers/nowhere/open`, { method: 'POST', headers: { authorization: 'Bearer admin-secret' } })).status, 404);

    const opened = await admin('open', 'admin-secret');
    assert.equal(opened.status, 200);
    assert.equal(((await opened.json()) as RawBody).breaker.state, 'open');
    const before = upstream.received;
    const client = await connectClient('v2-modern', shield.url);
    try {
      const result = await client.callTool({ name: 'lightrag_query', arguments: { query: 'q' } });
      assert.equal((result.structuredContent as RawBody).error.type, 'circuit_breaker_error');
      assert.equal(upstream.received, before);
      assert.equal((await fetch(`${shield.origin}/ready`)).status, 503);
      assert.equal((await admin('reset', 'admin-secret')).status, 200);
      assert.equal((await client.callTool({ name: 'lightrag_query', arguments: { query: 'q' } })).isError, undefined);
    } finally {
      await client.close();
    }
    assert.ok(shield.logs.some((line) => line.event === 'admin_action' && line.action === 'open'));
  });

  it('/health is the documented shape', async () => {
    const body = (await (await fetch(`${shield.origin}/health`)).json()) as RawBody;
    assert.equal(body.status, 'ok');
    assert.equal(typeof body.version, 'string');
    assert.equal(typeof body.uptime_s, 'number');
    const breaker = body.circuit_breakers.orchestrator;
    for (const key of ['state', 'fail_counter', 'fail_max', 'reset_timeout_s', 'opened_at', 'retry_after_ms', 'in_flight', 'queued']) {
      assert.ok(key in breaker, key);
    }
    assert.equal(breaker.fail_max, 5);
    assert.equal(breaker.reset_timeout_s, 60);
  });

  it('/metrics has circuit, call, latency, session and process metrics, and passes promtool', async (t) => {
    const text = await (await fetch(`${shield.origin}/metrics`)).text();
    for (const name of [
      'shield_circuit_breaker_state{upstream="orchestrator",state="closed"}',
      'shield_circuit_breaker_transitions_total{upstream="orchestrator",from="closed",to="open"}',
      'shield_tool_calls_total{upstream="orchestrator",tool="lightrag_query",outcome="success"}',
      'shield_tool_call_duration_seconds_bucket{le="0.00005",upstream="orchestrator",tool="lightrag_query",outcome="success"}',
      'shield_upstream_in_flight{upstream="orchestrator"}',
      'shield_mcp_sessions_open',
      'process_resident_memory_bytes',
      'process_open_fds',
    ]) {
      assert.ok(text.includes(name), `missing ${name}`);
    }
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (promtool.error) {
      t.skip('promtool is not installed (Debian package prometheus): skipping the promtool check');
      return;
    }
    assert.equal(promtool.status, 0, `${promtool.stdout}${promtool.stderr}`);
  });

  it('unknown routes are 404 with the list of routes', async () => {
    const reply = await fetch(`${shield.origin}/nope`);
    assert.equal(reply.status, 404);
    assert.match(((await reply.json()) as RawBody).error, /routes: POST \/mcp/);
  });
});

describe('HTTP front: bearer auth and no admin token', () => {
  it('requires a bearer token on /mcp, leaves /health open, and has no admin routes without an admin token', async () => {
    const upstream = await startUpstream('ok');
    const shield = await startShield(orchestratorConfig(upstream.url, {}, { server: { auth_tokens: ['t0k3n'] } }));
    try {
      const anonymous = await rawPost(shield.url, CALL);
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="shield"');
      const wrong = await rawPost(shield.url, CALL, { authorization: 'Bearer nope' });
      assert.equal(wrong.status, 401);
      assert.match(wrong.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      assert.equal((await fetch(`${shield.origin}/health`)).status, 200);
      assert.equal((await fetch(`${shield.origin}/admin/breakers/orchestrator/open`, { method: 'POST' })).status, 404);

      for (const era of ['v1', 'v2-legacy', 'v2-modern'] as const) {
        const client = await connectClient(era, shield.url, { authorization: 'Bearer t0k3n' });
        try {
          const result = await client.callTool({ name: 'lightrag_query', arguments: { query: 'q' } });
          assert.equal(result.isError, undefined, `${era}: ${JSON.stringify(result)}`);
        } finally {
          await client.close();
        }
      }
    } finally {
      await shield.close(100);
      await upstream.close();
    }
  });
});
