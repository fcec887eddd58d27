/**
 * The lean client against servers built with the official SDKs: v1 stateful (JSON and SSE), v1
 * stateless, v2 (2026-07-28 envelope, and its 2025-era fallback), plus timeouts and bad servers.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, describe, it } from 'node:test';
import { connect, fetchHealth, HealthError, McpConnectError } from '../src/client/index.js';
import { FakeBreaker, startBareServer, startSdkServer, type SdkFlavour } from './load-fixtures.js';

const cases: Array<{ flavour: SdkFlavour; json?: boolean; protocol?: 'legacy'; era: 'modern' | 'legacy' }> = [
  { flavour: 'v1-stateful', json: true, era: 'legacy' },
  { flavour: 'v1-stateful', json: false, era: 'legacy' },
  { flavour: 'v1-stateless', json: true, era: 'legacy' },
  { flavour: 'v1-stateless', json: false, era: 'legacy' },
  { flavour: 'v2', era: 'modern' },
  { flavour: 'v2', protocol: 'legacy', era: 'legacy' },
];

for (const { flavour, json, protocol, era } of cases) {
  describe(`client against SDK ${flavour}${json === undefined ? '' : json ? ' (JSON)' : ' (SSE)'}${protocol ? ' forced 2025' : ''}`, () => {
    const breaker = new FakeBreaker();
    const serverPromise = startSdkServer(flavour, { json, breaker });
    after(async () => (await serverPromise).close());

    it(`negotiates the ${era} era, lists tools, calls them and classifies tool errors`, async () => {
      const server = await serverPromise;
      const client = await connect(server.url, protocol ? { protocol } : {});
      try {
        assert.equal(client.era, era);
        if (era === 'modern') assert.equal(client.protocolVersion, '2026-07-28');
        else assert.match(client.protocolVersion, /^2025-/);
        assert.match(client.serverInfo?.name ?? '', /^sdk-v/);
        if (flavour === 'v1-stateful') assert.ok(client.sessionId, 'a stateful server hands out a session id');

        const tools = await client.listTools();
        assert.deepEqual(tools.map((tool) => tool.name).sort(), ['echo', 'lightrag_query']);
        assert.equal((tools.find((tool) => tool.name === 'echo')?.inputSchema as { type?: string }).type, 'object');

        const echoed = await client.callTool('echo', { text: 'héllo' });
        assert.equal(echoed.outcome, 'success');
        assert.deepEqual(echoed.result?.content, [{ type: 'text', text: 'héllo' }]);

        breaker.down = true;
        breaker.failDelayMs = 1;
        const outcomes = [];
        for (let i = 0; i < 6; i++) outcomes.push(await client.callTool('lightrag_query', { query: 'q', mode: 'hybrid' }));
        assert.deepEqual(outcomes.map((o) => o.outcome), [...Array(5).fill('orchestrator_error'), 'circuit_breaker_error']);
        assert.equal(outcomes[0]?.error?.reason, 'connection_refused');
        assert.equal(outcomes[5]?.error?.upstream, 'orchestrator');

        const unknown = await client.callTool('no_such_tool', {});
        assert.ok(['tool_error', 'protocol_error'].includes(unknown.outcome), unknown.outcome);
        assert.match(unknown.message ?? '', /no_such_tool/);
      } finally {
        await client.close();
      }
      if (flavour === 'v1-stateful') assert.equal(server.deletes(), 1, 'close() ends the session with DELETE');
      const health = await fetchHealth(server.url);
      assert.equal(health.circuit_breakers.orchestrator?.state, 'open');
      assert.equal(health.circuit_breakers.orchestrator?.fail_counter, 5);
    });
  });
}

describe('client timeouts, sessions and failures', () => {
  it('times a call out, sends notifications/cancelled and keeps working', async () => {
    const server = await startBareServer({ fixedMs: 300 });
    const client = await connect(server.url);
    try {
      const outcome = await client.callTool('echo', {}, { timeoutMs: 50 });
      assert.equal(outcome.outcome, 'client_timeout');
      for (let i = 0; i < 50 && server.cancels() === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(server.cancels(), 1);
      assert.equal((await client.callTool('echo', {}, { timeoutMs: 2000 })).outcome, 'success');
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('reads SSE replies with comments and priming events', async () => {
    const server = await startBareServer({ sse: true });
    const client = await connect(server.url);
    try {
      const outcome = await client.callTool('echo', {});
      assert.equal(outcome.outcome, 'success');
      assert.deepEqual(outcome.result?.content, [{ type: 'text', text: 'ok' }]);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('re-initializes when the server forgets the session (404)', async () => {
    const server = await startSdkServer('v1-stateful', { json: true });
    const client = await connect(server.url);
    try {
      const first = client.sessionId;
      await server.forgetSessions();
      const outcome = await client.callTool('echo', { text: 'again' });
      assert.equal(outcome.outcome, 'success');
      assert.ok(client.sessionId && client.sessionId !== first, 'a new session replaced the forgotten one');
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('aborting a call through its signal rejects with AbortError', async () => {
    const server = await startBareServer({ fixedMs: 500 });
    const client = await connect(server.url);
    try {
      const controller = new AbortController();
      const pending = client.callTool('echo', {}, { signal: controller.signal });
      setTimeout(() => controller.abort(), 20);
      await assert.rejects(pending, { name: 'AbortError' });
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('reports an unreachable server, a non-MCP endpoint and a refused token clearly', async () => {
    const closed = await startBareServer();
    const { url } = closed;
    await closed.close();
    await assert.rejects(connect(url), (error: unknown) => {
      assert.ok(error instanceof McpConnectError);
      assert.equal(error.kind, 'unreachable');
      assert.match(error.message, /connection refused/);
      return true;
    });

    const plain = http.createServer((req, res) => {
      if (req.headers.authorization !== undefined && req.headers.authorization !== 'Bearer good') return void res.writeHead(401).end();
      if (req.headers['x-api-key'] !== undefined && req.headers['x-api-key'] !== 'k1') return void res.writeHead(403).end();
      res.writeHead(404).end('nothing here');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const port = (plain.address() as { port: number }).port;
    try {
      await assert.rejects(connect(`http://127.0.0.1:${port}/mcp`), { name: 'McpConnectError', kind: 'protocol', message: /HTTP 404\)$/ });
      await assert.rejects(connect(`http://127.0.0.1:${port}`), { message: new RegExp(`HTTP 404\\); did you mean http://127\\.0\\.0\\.1:${port}/mcp\\?`) });
      await assert.rejects(connect(`http://127.0.0.1:${port}/mcp`, { token: 'bad' }), { kind: 'auth', message: /HTTP 401/ });
      await assert.rejects(connect(`http://127.0.0.1:${port}/mcp`, { token: 'good', headers: { 'X-API-Key': 'k1' } }), { kind: 'protocol' }, 'the right token and header get past the checks');
      await assert.rejects(connect(`http://127.0.0.1:${port}/mcp`, { headers: { 'X-API-Key': 'wrong' } }), { kind: 'auth', message: /HTTP 403/ });
      await assert.rejects(fetchHealth(`http://127.0.0.1:${port}/mcp`), (error: unknown) => error instanceof HealthError && error.kind === 'http');
    } finally {
      plain.closeAllConnections();
      await new Promise((resolve) => plain.close(resolve));
    }
  });
});
