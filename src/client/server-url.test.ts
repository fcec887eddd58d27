import assert from 'node:assert/strict';
import { it } from 'node:test';
import { healthUrlFor, parseServerUrl } from './server-url.js';

it('reads the plan host:port form as http://host:port/mcp and keeps full URLs', () => {
  assert.equal(parseServerUrl('hx-mcp1-server:8081')?.href, 'http://hx-mcp1-server:8081/mcp');
  assert.equal(parseServerUrl('127.0.0.1:80')?.href, 'http://127.0.0.1/mcp');
  assert.equal(parseServerUrl('[::1]:8081')?.href, 'http://[::1]:8081/mcp');
  assert.equal(parseServerUrl('https://gw.example/v1/mcp?x=1')?.href, 'https://gw.example/v1/mcp?x=1');
});

it('rejects text that is neither form', () => {
  for (const text of ['', 'hx-mcp1-server', 'host:99999', 'ftp://x/mcp', 'http://', 'host:port']) {
    assert.equal(parseServerUrl(text), undefined, text);
  }
});

it('finds /health on the same host', () => {
  assert.equal(healthUrlFor(new URL('http://h:8081/mcp')).href, 'http://h:8081/health');
});
