/**
 * Three real `shield serve` processes sharing one real redis-server (`--state`), called through the
 * official MCP SDK client, one real upstream. The plan's durations scaled down: 60 s reset → 600 ms.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestRedis, type TestRedis } from './helpers/redis-server.js';
import { runShield } from './helpers/shield-cli.js';
import { connectClient, startUpstream, toolError, type AnyClient, type TestUpstream } from './server-helpers.js';

interface Health {
  state_store?: string;
  circuit_breakers: { orchestrator: { state: string; fail_counter: number } };
}

interface ShieldProcess {
  origin: string;
  client: AnyClient;
  health(): Promise<Health>;
  metrics(): Promise<string>;
  until(condition: (health: Health) => boolean, what: string, ms?: number): Promise<Health>;
  query(): Promise<Record<string, unknown>>;
  /** Stops the process (SIGTERM) and returns its JSON log lines. */
  stop(): Promise<Array<Record<string, unknown>>>;
}

let redis: TestRedis;
let upstream: TestUpstream;
const running: ShieldProcess[] = [];
let namespaceSeq = 0;

before(async () => {
  redis = await startTestRedis();
  upstream = await startUpstream('ok');
});

after(async () => {
  await Promise.all(running.map((shield) => shield.stop()));
  upstream.release();
  await upstream.close();
  await redis.stop();
});

async function startShieldProcess(namespace: string, resetTimeout = '600ms'): Promise<ShieldProcess> {
  const args = ['serve', '--port', '0', '--upstream', `orchestrator=${upstream.url}`, '--timeout', '5s', '--reset-timeout', resetTimeout];
  args.push('--log-level', 'info', '--state', redis.url, '--state-namespace', namespace);
  let stopProcess: (() => void) | undefined;
  let listening: (origin: string) => void = () => {};
  const origin = new Promise<string>((resolve) => (listening = resolve));
  const run = runShield(args, {
    onStderr(stderr, stop) {
      stopProcess = stop;
      const match = /shield serving MCP on (http:\/\/\S+)\/mcp/.exec(stderr);
      if (match) listening(match[1]!);
    },
  });
  const started = await Promise.race([origin, run.then((ended) => Promise.reject(new Error(`shield exited with ${ended.code}: ${ended.stderr}`)))]);
  const client = await connectClient('v1', `${started}/mcp`);
  const health = async () => (await (await fetch(`${started}/health`)).json()) as Health;
  let logs: Promise<Array<Record<string, unknown>>> | undefined;
  const shield: ShieldProcess = {
    origin: started,
    client,
    health,
    metrics: async () => (await fetch(`${started}/metrics`)).text(),
    async until(condition, what, ms = 5000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const seen = await health();
        if (condition(seen)) return seen;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(seen)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    query: () => client.callTool({ name: 'lightrag_query', arguments: { query: 'test', mode: 'hybrid' } }),
    stop() {
      logs ??= (async () => {
        await client.close().catch(() => undefined);
        stopProcess?.();
        const ended = await run;
        return ended.stdout
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, unknown>);
      })();
      return logs;
    },
  };
  running.push(shield);
  return shield;
}

async function trio(resetTimeout?: string): Promise<ShieldProcess[]> {
  const namespace = `e2e-${namespaceSeq++}`;
  return Promise.all([0, 1, 2].map(() => startShieldProcess(namespace, resetTimeout)));
}

const errorType = (result: Record<string, unknown>) => (result.isError ? (toolError(result).type as string) : 'success');
const count = (types: string[], type: string) => types.filter((t) => t === type).length;

test('5 failures spread across three Shield replicas open the circuit on all three; a replica started later sees it at once', async () => {
  const replicas = await trio('30s');
  upstream.mode = 'error500';
  try {
    for (const [i, shield] of replicas.entries()) {
      for (let call = 0; call < (i < 2 ? 2 : 1); call++) assert.equal(errorType(await shield.query()), 'orchestrator_error');
    }
  } finally {
    upstream.mode = 'ok';
  }
  for (const shield of replicas) {
    const health = await shield.until((h) => h.circuit_breakers.orchestrator.state === 'open', 'open');
    assert.equal(health.circuit_breakers.orchestrator.fail_counter, 5);
    assert.equal(health.state_store, 'ok');
  }
  const before = upstream.received;
  assert.equal(errorType(await replicas[2]!.query()), 'circuit_breaker_error');
  assert.equal(upstream.received, before, 'the open circuit sent nothing upstream');

  const namespace = `e2e-${namespaceSeq - 1}`;
  const later = await startShieldProcess(namespace, '30s');
  const first = await later.health();
  assert.equal(first.circuit_breakers.orchestrator.state, 'open', 'open on its very first /health');
  assert.equal(first.circuit_breakers.orchestrator.fail_counter, 5);
});

test('3 Shield replicas × 50 concurrent failures: fail_counter stops at 5 and exactly one replica trips', async () => {
  const replicas = await trio('30s');
  upstream.mode = 'error500';
  let results: Record<string, unknown>[][];
  try {
    results = await Promise.all(replicas.map((shield) => Promise.all(Array.from({ length: 50 }, () => shield.query()))));
  } finally {
    upstream.mode = 'ok';
  }
  const types = results.flat().map(errorType);
  assert.equal(count(types, 'success'), 0);
  assert.equal(count(types, 'orchestrator_error') + count(types, 'circuit_breaker_error'), 150);
  const tripped = results.flat().filter((result) => result.isError && toolError(result).tripped_circuit === true);
  assert.equal(tripped.length, 1, 'one call opened the circuit');
  for (const shield of replicas) {
    const health = await shield.until((h) => h.circuit_breakers.orchestrator.state === 'open', 'open');
    assert.equal(health.circuit_breakers.orchestrator.fail_counter, 5, 'no over-count past fail_max');
  }
  const logs = (await Promise.all(replicas.map((shield) => shield.stop()))).flat();
  const trips = logs.filter((line) => line.event === 'circuit_breaker_state_change' && line.to === 'open' && line.reason !== 'remote');
  assert.equal(trips.length, 1, 'exactly one transition to open, logged by the replica that made it');
});

test('half-open: 50 concurrent callers across three Shield replicas produce exactly one trial', async () => {
  const replicas = await trio('600ms');
  upstream.mode = 'error500';
  for (let i = 0; i < 5; i++) await replicas[i % 3]!.query();
  upstream.mode = 'hang';
  await Promise.all(replicas.map((shield) => shield.until((h) => h.circuit_breakers.orchestrator.state === 'half_open', 'half-open')));
  const before = upstream.received;
  const calls = replicas.flatMap((shield, i) => Array.from({ length: i === 0 ? 16 : 17 }, () => shield.query()));
  await upstream.waitForRequests(before + 1);
  // Give any second trial time to arrive before the first is released.
  await new Promise((resolve) => setTimeout(resolve, 200));
  upstream.mode = 'ok';
  upstream.release();
  const types = (await Promise.all(calls)).map(errorType);
  assert.equal(upstream.received - before, 1, 'exactly one trial reached the upstream');
  assert.equal(count(types, 'success'), 1);
  assert.equal(count(types, 'circuit_breaker_error'), 49);
  for (const shield of replicas) await shield.until((h) => h.circuit_breakers.orchestrator.state === 'closed', 'closed');
});

test('Redis killed: no tool call fails, /health and /metrics show the degraded store; restarted: the replicas converge', async () => {
  const replicas = await trio('30s');
  await redis.kill();
  try {
    await Promise.all(replicas.map((shield) => shield.until((h) => h.state_store === 'degraded', 'degraded')));
    const types = (await Promise.all(replicas.flatMap((shield) => Array.from({ length: 10 }, () => shield.query())))).map(errorType);
    assert.equal(count(types, 'success'), 30, 'every tool call succeeded without Redis');
    assert.match(await replicas[0]!.metrics(), /shield_state_store_status\{status="degraded"\} 1/);
    upstream.mode = 'error500';
    for (let i = 0; i < 5; i++) await replicas[1]!.query();
    upstream.mode = 'ok';
  } finally {
    upstream.mode = 'ok';
    await redis.start();
  }
  const healths = await Promise.all(
    replicas.map((shield) => shield.until((h) => h.state_store === 'ok' && h.circuit_breakers.orchestrator.state === 'open', 'recovered and converged')),
  );
  for (const health of healths) assert.equal(health.circuit_breakers.orchestrator.fail_counter, 5);
  assert.match(await replicas[2]!.metrics(), /shield_state_store_status\{status="ok"\} 1/);
  const logs = await replicas[0]!.stop();
  const storeEvents = logs.filter((line) => line.event === 'state_store').map((line) => line.status);
  assert.deepEqual(storeEvents, ['degraded', 'ok'], 'the degradation and the recovery are logged');
});

test('a bad --state or state: setting exits 2 with one line naming it', async () => {
  const flag = await runShield(['serve', '--port', '0', '--state', 'cache:6379']);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /option '--state <url>' argument 'cache:6379' is invalid\. expected a redis:\/\/ or rediss:\/\/ URL/);
  const dir = mkdtempSync(join(tmpdir(), 'shield-state-'));
  const file = join(dir, 'prod.yaml');
  writeFileSync(file, 'state:\n  url: redis://127.0.0.1:6379/0\n  namespace: "a:b"\n');
  const config = await runShield(['serve', '--port', '0', '--config', file]);
  assert.equal(config.code, 2);
  assert.equal(config.stderr.trim(), `error: ${file}: state.namespace: state namespace 'a:b' must be 1-100 letters, digits, '.', '_' or '-'`);
});

test('Redis unreachable at start-up: Shield serves with local state and says so', async () => {
  await redis.kill();
  try {
    const shield = await startShieldProcess('e2e-no-redis');
    const health = await shield.health();
    assert.equal(health.state_store, 'degraded');
    assert.equal(errorType(await shield.query()), 'success');
    const logs = await shield.stop();
    assert.ok(logs.some((line) => line.event === 'state_store' && line.status === 'degraded'), 'the start-up log says the store is degraded');
  } finally {
    await redis.start();
  }
});
