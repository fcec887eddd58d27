/** The control API over real HTTP, and the control client `shield chaos` and the load tester use. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { UnreachableError, UsageError } from '../src/cli/exit-codes.js';
import { createChaosControl, startSim } from '../src/sim/index.js';
import type { ChaosHandle } from '../src/sim/index.js';
import { outcome } from './sim-support.js';

let sim: ChaosHandle;

before(async () => {
  sim = await startSim();
});
after(async () => {
  await sim.close();
});

async function control(
  method: string,
  body?: string,
  options: { path?: string; contentType?: string } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await request(`${sim.controlUrl}${options.path ?? '/control'}`, {
    method: method as 'GET',
    headers: body === undefined ? {} : { 'content-type': options.contentType ?? 'application/json' },
    body,
  });
  return { status: response.statusCode, json: (await response.body.json()) as Record<string, unknown> };
}

test('GET /control reports the mode, the data URL, whether it listens, and the counters', async () => {
  await outcome(sim.url);
  const { status, json } = await control('GET');
  assert.equal(status, 200);
  assert.equal(json.role, 'sim');
  assert.deepEqual(json.mode, { mode: 'healthy' });
  assert.equal(json.url, sim.url);
  assert.equal(json.listening, true);
  assert.ok((json.counters as { requests: number }).requests >= 1);
});

test('PUT /control switches the mode and answers with the new status (defaults filled in)', async () => {
  const down = await control('PUT', '{"mode":"down"}');
  assert.equal(down.status, 200);
  assert.equal(down.json.listening, false);
  assert.equal(await outcome(sim.url), 'ECONNREFUSED');
  const flaky = await control('PUT', '{"mode":"flaky","rate":0.5,"fault":"hang","seed":7}');
  assert.equal(flaky.status, 200);
  assert.deepEqual(flaky.json.mode, { mode: 'flaky', rate: 0.5, fault: 'hang', status: 500, seed: 7, per: 'request' });
  assert.equal(flaky.json.listening, true, 'any mode but down reopens the port');
  const slow = await control('PUT', '{"mode":"slow","delay_ms":30000}');
  assert.deepEqual(slow.json.mode, { mode: 'slow', delay_ms: 30000 });
  await control('PUT', '{"mode":"healthy"}');
});

test('malformed or invalid control requests get 4xx with the reason, and change nothing', async () => {
  await sim.setMode({ mode: 'error', status: 503 });
  const cases: Array<[string, string | undefined, { path?: string; contentType?: string }, number, RegExp]> = [
    ['PUT', '{"mode":', {}, 400, /invalid JSON/],
    ['PUT', '{"mode":"sideways"}', {}, 400, /unknown mode "sideways"; expected one of healthy, up, down/],
    ['PUT', '{}', {}, 400, /mode: required/],
    ['PUT', '[1]', {}, 400, /JSON object/],
    ['PUT', '{"mode":"flaky","rate":1.5}', {}, 400, /^rate: /],
    ['PUT', '{"mode":"flaky","rate":0.5,"fault":"explode"}', {}, 400, /^fault: /],
    ['PUT', '{"mode":"slow"}', {}, 400, /^delay_ms: /],
    ['PUT', '{"mode":"error","status":200}', {}, 400, /^status: /],
    ['PUT', '{"mode":"down","delay_ms":5}', {}, 400, /Unrecognized key/],
    ['PUT', '{"mode":"down"}', { contentType: 'text/plain' }, 415, /content-type must be application\/json/],
    ['PUT', JSON.stringify({ mode: 'down', pad: 'x'.repeat(20_000) }), {}, 413, /exceeds the limit/],
    ['POST', '{"mode":"down"}', {}, 405, /use GET or PUT/],
    ['GET', undefined, { path: '/nope' }, 404, /no such path/],
  ];
  for (const [method, body, options, expectedStatus, reason] of cases) {
    const { status, json } = await control(method, body, options);
    assert.equal(status, expectedStatus, `${method} ${body?.slice(0, 40)}`);
    assert.match(String(json.error), reason);
  }
  assert.deepEqual(sim.mode(), { mode: 'error', status: 503 }, 'unchanged');
  assert.equal(await outcome(sim.url), '503', 'still serving');
  await sim.setMode({ mode: 'healthy' });
});

test('createChaosControl: status and setMode by base URL or /control URL', async () => {
  for (const url of [sim.controlUrl, `${sim.controlUrl}/control`]) {
    const chaos = createChaosControl(url);
    assert.equal(chaos.url, `${sim.controlUrl}/control`);
    assert.equal((await chaos.setMode({ mode: 'error', status: 502 })).mode.mode, 'error');
    assert.equal(await outcome(sim.url), '502');
    assert.deepEqual((await chaos.status()).mode, { mode: 'error', status: 502 });
  }
  await createChaosControl(sim.controlUrl).setMode({ mode: 'up' });
  assert.deepEqual(sim.mode(), { mode: 'healthy' });
});

test('createChaosControl: unreachable is UnreachableError, a rejected mode is UsageError, a bad URL is UsageError', async () => {
  const other = await startSim();
  const deadUrl = other.controlUrl;
  await other.close();
  await assert.rejects(createChaosControl(deadUrl).status(), (error: Error) => {
    assert.ok(error instanceof UnreachableError);
    assert.match(error.message, /cannot reach the chaos control API at .*ECONNREFUSED/);
    return true;
  });
  await assert.rejects(createChaosControl(sim.controlUrl).setMode({ mode: 'flaky', rate: 7 }), (error: Error) => {
    assert.ok(error instanceof UsageError);
    assert.match(error.message, /rejected the mode: rate/);
    return true;
  });
  assert.throws(() => createChaosControl('not a url'), UsageError);
  await assert.rejects(createChaosControl(`${sim.url}/`).status(), /unexpected reply .*HTTP 404/, 'not a control API');
});
