/**
 * Both official SDK clients (v1 speaking 2025, v2 speaking 2025 and 2026-07-28) list and call the
 * tools over real sockets, through the guard, to a real upstream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ERAS, connectClient, orchestratorConfig, startShield, startUpstream, toolError } from './server-helpers.js';
import type { TestServer, TestUpstream } from './server-helpers.js';

describe('MCP protocol with the official SDK clients', () => {
  let upstream: TestUpstream;
  let shield: TestServer;

  before(async () => {
    upstream = await startUpstream('ok');
    shield = await startShield(orchestratorConfig(upstream.url, { api_key: 'secret-key' }));
  });
  after(async () => {
    await shield.close(100);
    await upstream.close();
  });

  for (const era of ERAS) {
    it(`${era}: lists lightrag_query and calls it through to the upstream`, async () => {
      const client = await connectClient(era, shield.url);
      try {
        const { tools } = await client.listTools();
        assert.deepEqual(tools.map((t) => t.name), ['lightrag_query']);
        const schema = tools[0]!.inputSchema as { required: string[]; properties: Record<string, { enum?: string[] }> };
        assert.deepEqual(schema.required, ['query']);
        assert.deepEqual(schema.properties.mode!.enum, ['local', 'global', 'hybrid', 'naive', 'mix', 'bypass']);

        const before = upstream.received;
        const result = await client.callTool({ name: 'lightrag_query', arguments: { query: `hello ${era}` } });
        assert.equal(result.isError, undefined);
        assert.deepEqual(result.content, [{ type: 'text', text: `answer to hello ${era}` }]);
        assert.deepEqual(result.structuredContent, { response: `answer to hello ${era}`, references: [] });
        assert.equal(upstream.received, before + 1);
        // The default mode is always sent (LightRAG's own default changed between releases).
        assert.deepEqual(upstream.bodies.at(-1), { query: `hello ${era}`, mode: 'hybrid' });
        assert.equal(upstream.lastHeaders['x-api-key'], 'secret-key');
      } finally {
        await client.close();
      }
    });

    it(`${era}: invalid arguments are an isError result that never reaches the upstream`, async () => {
      const client = await connectClient(era, shield.url);
      try {
        const before = upstream.received;
        const result = await client.callTool({ name: 'lightrag_query', arguments: { query: 'q', mode: 'sideways' } });
        assert.equal(result.isError, true);
        const error = toolError(result);
        assert.equal(error.type, 'invalid_arguments');
        assert.match(String(error.message), /mode: expected one of "local"/);
        assert.deepEqual(error.circuit, { state: 'closed', fail_counter: 0 });
        assert.equal(upstream.received, before);
      } finally {
        await client.close();
      }
    });

    it(`${era}: an unknown tool is a JSON-RPC error`, async () => {
      const client = await connectClient(era, shield.url);
      try {
        await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), /Unknown tool: no_such_tool/);
      } finally {
        await client.close();
      }
    });
  }
});
