import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { OrchestratorError } from '../breaker/errors.js';
import type { ToolConfig, UpstreamConfig } from './config.js';
import { compileTemplate, createUpstream } from './upstream.js';

describe('compileTemplate', () => {
  it('a whole {{arg}} keeps the value and its type; an absent one drops the key', () => {
    const render = compileTemplate({ query: '{{query}}', mode: '{{mode}}', top_k: '{{ k }}', flags: ['{{a}}', '{{b}}'] });
    assert.deepEqual(render({ query: 'q', k: 5, a: true }), { query: 'q', top_k: 5, flags: [true] });
  });

  it('placeholders inside a longer string become text; literals stay as they are', () => {
    const render = compileTemplate({ prompt: 'Q: {{query}} ({{mode}})', stream: false, n: 3, nested: { fixed: 'x' } });
    assert.deepEqual(render({ query: 'why', mode: 'mix' }), { prompt: 'Q: why (mix)', stream: false, n: 3, nested: { fixed: 'x' } });
    assert.deepEqual(render({}), { prompt: 'Q:  ()', stream: false, n: 3, nested: { fixed: 'x' } });
  });
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real upstream on 127.0.0.1: each request is recorded, then answered by `answer`. */
async function startUpstream(answer: (req: IncomingMessage, res: ServerResponse, seen: Seen) => void) {
  const seen: Seen[] = [];
  const closed: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(entry);
      res.on('close', () => {
        if (!res.writableFinished) closed.push(entry.url);
      });
      answer(req, res, entry);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api`,
    seen,
    closed,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function upstreamConfig(url: string, connections = 4): UpstreamConfig {
  return { name: 'orchestrator', url, headers: { 'x-api-key': 'k' }, timeoutMs: 1000, maxQueue: 0, connections, breaker: false };
}

function tool(method: ToolConfig['method'], path: string, responseField = 'response', body?: unknown): ToolConfig {
  return { name: 't', description: '', upstream: 'orchestrator', method, path, body, responseField, inputSchema: {} };
}

const live = () => new AbortController().signal;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('the call should have failed');
}

describe('createUpstream (a real upstream over sockets)', () => {
  it('sends the rendered body, the configured headers and GET arguments as a query; joins a body sent in chunks', async () => {
    const server = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"response":');
      setTimeout(() => res.end('{"answer":"ok"}}'), 5);
    });
    const upstream = createUpstream(upstreamConfig(server.url));
    try {
      const postSignal = live();
      const posted = await upstream.call(tool('POST', '/query', 'response.answer', { query: '{{q}}' }), { q: 'why' }, postSignal);
      assert.equal(getEventListeners(postSignal, 'abort').length, 0, 'a finished call leaves no listener on its signal');
      assert.deepEqual(posted, { text: 'ok', body: { response: { answer: 'ok' } }, json: '{"response":{"answer":"ok"}}' });
      const fetched = await upstream.call(tool('GET', '/docs/{{id}}', 'response'), { id: 'a b', top: 3 }, live());
      assert.equal(fetched.text, '{"answer":"ok"}');
      const [post, get] = server.seen;
      assert.equal(post?.method, 'POST');
      assert.equal(post?.url, '/api/query');
      assert.equal(post?.body, '{"query":"why"}');
      assert.equal(post?.headers['content-type'], 'application/json');
      assert.equal(post?.headers['x-api-key'], 'k');
      assert.equal(get?.url, '/api/docs/a%20b?id=a+b&top=3');
      assert.equal(get?.headers['content-type'], undefined);
    } finally {
      await upstream.close();
      await server.close();
    }
  });

  it('maps each failure to its reason: HTTP status with the detail, non-JSON, a missing field, a broken connection, a refused one', async () => {
    const server = await startUpstream((req, res) => {
      if (req.url === '/api/status') res.writeHead(404).end('{"detail":"no such document"}');
      else if (req.url === '/api/text') res.writeHead(200).end('<html>');
      else if (req.url === '/api/field') res.writeHead(200).end('{"other":1}');
      else res.socket?.destroy();
    });
    const upstream = createUpstream(upstreamConfig(server.url));
    try {
      const status = (await rejection(upstream.call(tool('GET', '/status'), {}, live()))) as OrchestratorError;
      assert.equal(status.reason, 'http_status');
      assert.equal(status.status, 404);
      assert.match(status.message, /HTTP 404: no such document/);
      const text = (await rejection(upstream.call(tool('GET', '/text'), {}, live()))) as OrchestratorError;
      assert.equal(text.reason, 'invalid_response');
      const field = (await rejection(upstream.call(tool('GET', '/field'), {}, live()))) as OrchestratorError;
      assert.equal(field.reason, 'invalid_response');
      assert.match(field.message, /no field 'response'/);
      const reset = (await rejection(upstream.call(tool('GET', '/reset'), {}, live()))) as OrchestratorError;
      assert.equal(reset.reason, 'connection_reset');
    } finally {
      await upstream.close();
      await server.close();
    }
    const refused = createUpstream(upstreamConfig(server.url));
    try {
      const error = (await rejection(refused.call(tool('GET', '/any'), {}, live()))) as OrchestratorError;
      assert.ok(error instanceof OrchestratorError);
      assert.equal(error.reason, 'connection_refused');
    } finally {
      await refused.close();
    }
  });

  it('an abort rejects with the signal reason and stops the request, whether it is in flight or still queued', async () => {
    const server = await startUpstream(() => {
      // never answers: only an abort ends these requests
    });
    const upstream = createUpstream(upstreamConfig(server.url, 1));
    try {
      const first = new AbortController();
      const queued = new AbortController();
      const inFlight = upstream.call(tool('POST', '/hang'), {}, first.signal);
      const waiting = upstream.call(tool('POST', '/queued'), {}, queued.signal);
      while (server.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const queuedReason = new Error('queued call cancelled');
      queued.abort(queuedReason);
      assert.equal(await rejection(waiting), queuedReason);
      const deadline = new Error('deadline');
      first.abort(deadline);
      assert.equal(await rejection(inFlight), deadline);
      while (server.closed.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.deepEqual(server.closed, ['/api/hang']);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(
        server.seen.map((entry) => entry.url),
        ['/api/hang'],
        'the aborted queued request never reached the upstream',
      );
      const already = new AbortController();
      already.abort(deadline);
      assert.equal(await rejection(upstream.call(tool('POST', '/never'), {}, already.signal)), deadline);
      assert.equal(getEventListeners(first.signal, 'abort').length, 0, 'no listener is left on a finished call’s signal');
    } finally {
      await upstream.close();
      await server.close();
    }
  });
});
