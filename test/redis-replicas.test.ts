/**
 * Three replicas, each a guard in its own process, sharing one real redis-server. Durations are the
 * plan's scaled down (60 s reset → 400 ms).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestRedis, type TestRedis } from './helpers/redis-server.js';
import { forkReplica, type CallsResult, type Replica, type ReplicaConfig } from './helpers/redis-replica.js';

const POLICY = { failMax: 5, resetTimeoutMs: 400, halfOpenMaxCalls: 1, successThreshold: 1 };

let redis: TestRedis;
const started: Replica[] = [];
let namespaceSeq = 0;

before(async () => {
  redis = await startTestRedis();
});

after(async () => {
  await Promise.all(started.map((replica) => replica.stop()));
  await redis.stop();
});

async function replicas(count: number, config: Partial<ReplicaConfig> = {}): Promise<Replica[]> {
  const namespace = config.namespace ?? `replicas-${namespaceSeq++}`;
  // Correctness tests use a generous budget so a busy shared machine is not mistaken for a sick Redis.
  const forked = await Promise.all(
    Array.from({ length: count }, () => forkReplica({ url: redis.url, namespace, policy: POLICY, budgetMs: 1000, probeIntervalMs: 50, ...config })),
  );
  started.push(...forked);
  return forked;
}

function total(results: CallsResult[], key: 'reached' | 'succeeded' | 'tripped'): number {
  return results.reduce((sum, result) => sum + result[key], 0);
}

function errors(results: CallsResult[], type: string): number {
  return results.reduce((sum, result) => sum + (result.errors[type] ?? 0), 0);
}

test('5 failures spread across three replicas open the circuit on all of them; a replica started later sees it at once', async () => {
  // A reset timeout long enough that starting a process cannot outlast it.
  const config = { namespace: 'replicas-late-joiner', policy: { ...POLICY, resetTimeoutMs: 30_000 } };
  const [a, b, c] = (await replicas(3, config)) as [Replica, Replica, Replica];
  for (const [replica, count] of [[a, 2], [b, 2], [c, 1]] as const) {
    const result = await replica.calls(count, 'failure');
    assert.equal(result.errors.orchestrator_error, count, JSON.stringify(result));
  }
  for (const replica of [a, b, c]) {
    const seen = await replica.until((look) => look.snapshot.state === 'open', 'the circuit to open');
    assert.equal(seen.snapshot.fail_counter, 5);
  }
  const fastFail = await b.calls(10, 'success');
  assert.equal(fastFail.reached, 0, 'an open circuit lets nothing through');
  assert.equal(fastFail.errors.circuit_breaker_error, 10);

  const [later] = (await replicas(1, config)) as [Replica];
  const first = await later.look();
  assert.equal(first.snapshot.state, 'open', 'seen on its first look, without waiting for a message');
  assert.equal(first.snapshot.fail_counter, 5);
  assert.equal((await later.calls(3, 'success')).reached, 0);
});

test('3 replicas × 50 concurrent failures count to fail_max exactly and trip exactly once', async () => {
  const trio = await replicas(3);
  const results = await Promise.all(trio.map((replica) => replica.calls(50, 'failure', 30)));
  assert.equal(errors(results, 'orchestrator_error'), 150, 'every admitted call reports its own upstream error');
  assert.equal(total(results, 'tripped'), 1, 'one call carries tripped_circuit');
  const looks = await Promise.all(trio.map((replica) => replica.until((look) => look.snapshot.state === 'open', 'open')));
  for (const look of looks) assert.equal(look.snapshot.fail_counter, 5, `no over-count past fail_max: ${JSON.stringify(look)}`);
  const trips = looks.flatMap((look) => look.changes.filter((change) => change.to === 'open' && change.reason !== 'remote'));
  assert.equal(trips.length, 1, 'exactly one replica made the transition');
  assert.equal(trips[0]?.reason, 'failure_threshold');
  assert.equal(looks[0]?.record.trips, 1);
});

test('half-open: 50 concurrent callers across three replicas produce exactly one trial, then all close', async () => {
  const trio = await replicas(3);
  await trio[0]!.calls(5, 'failure');
  await Promise.all(trio.map((replica) => replica.until((look) => look.snapshot.state === 'half_open', 'half-open', 3000)));
  const results = await Promise.all(trio.map((replica, i) => replica.calls(i === 0 ? 16 : 17, 'success', 100)));
  assert.equal(total(results, 'reached'), 1, 'exactly one trial reached the upstream cluster-wide');
  assert.equal(total(results, 'succeeded'), 1);
  assert.equal(errors(results, 'circuit_breaker_error'), 49, 'every other caller failed fast');
  for (const replica of trio) {
    const look = await replica.until((seen) => seen.snapshot.state === 'closed', 'closed');
    assert.equal(look.snapshot.fail_counter, 0);
  }
});

test('Redis killed mid-run: no call fails because of it, the store reports degraded; restarted: replicas converge', async () => {
  const trio = await replicas(3, { budgetMs: 50, policy: { ...POLICY, resetTimeoutMs: 30_000 } });
  await trio[0]!.calls(3, 'failure');
  await Promise.all(trio.map((replica) => replica.until((look) => look.snapshot.fail_counter === 3, 'the shared counter')));

  await redis.kill();
  await Promise.all(trio.map((replica) => replica.until((look) => look.status === 'degraded', 'degraded')));
  const during = await Promise.all(trio.map((replica) => replica.calls(20, 'success')));
  assert.equal(total(during, 'succeeded'), 60, 'every call succeeded while Redis was down');
  // Local state now: the success reset the counter on each replica, without Redis.
  await trio[1]!.calls(5, 'failure');
  assert.equal((await trio[1]!.look()).snapshot.state, 'open', 'a degraded replica still trips on its own failures');

  await redis.start();
  const looks = await Promise.all(trio.map((replica) => replica.until((look) => look.status === 'ok' && look.snapshot.state === 'open', 'recovered and converged')));
  const versions = new Set(looks.map((look) => look.record.version));
  assert.equal(versions.size, 1, `one record everywhere, saw versions ${[...versions].join(', ')}`);
  assert.deepEqual(looks[0]!.record, looks[2]!.record);
});
