/**
 * `npm run bench -- redis`: shared breaker state in a private redis-server, measuring the compiled
 * build (the replicas in child processes run the sources through tsx; they only time a message).
 *
 * 1. Closed-state throughput of a guarded `async () => 1` with the Redis store vs the memory store,
 *    rounds interleaved, medians compared [target: Redis >= 80% of memory].
 * 2. Open-state propagation: a guard here trips the circuit (5 failures, fail_max 5); two replicas in
 *    their own processes time when their guards see it open. Measured from just before the tripping
 *    call starts to each replica's state_change event; p99 over every sample [target < 100 ms], shown
 *    next to the p99 of a bare Redis PING round trip measured in the same run.
 */
import { Redis } from 'ioredis';
import type * as BreakerModule from '../src/breaker/index.js';
import type * as RedisStoreModule from '../src/server/redis-store.js';
import { startTestRedis } from '../test/helpers/redis-server.js';
import { forkReplica, type Replica } from '../test/helpers/redis-replica.js';
import { fromDist } from './dist.js';
import { median } from './median.js';

/** The compiled build, as users run it (bench/index.ts builds it when it is stale). */
const { createGuard, OrchestratorError } = await fromDist<typeof BreakerModule>('breaker/index.js');
const { RedisState } = await fromDist<typeof RedisStoreModule>('server/redis-store.js');

const CALLS = 50_000;
const ROUNDS = 31;
const TRIPS = 150;
const POLICY = { failMax: 5, resetTimeoutMs: 60_000 };

const now = () => performance.timeOrigin + performance.now();
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
};

const redis = await startTestRedis();
const replicas: Replica[] = [];
let missed = false;
try {
  // 1. Closed-state throughput.
  const fn = async () => 1;
  const state = await RedisState.connect({ url: redis.url, namespace: 'bench-throughput' });
  const contenders = [
    { name: 'memory store', guard: createGuard({ name: 'orchestrator', breaker: POLICY }) },
    { name: 'redis store', guard: createGuard({ name: 'orchestrator', breaker: POLICY, store: await state.store('orchestrator') }) },
  ];
  const perSecond = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (const { guard } of contenders) for (let i = 0; i < 50_000; i++) await guard.execute(fn);
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order so neither store always runs right after the other's garbage.
    for (const { name, guard } of round % 2 === 0 ? contenders : [...contenders].reverse()) {
      (globalThis as { gc?: () => void }).gc?.();
      const start = process.hrtime.bigint();
      for (let i = 0; i < CALLS; i++) await guard.execute(fn);
      perSecond.get(name)?.push(CALLS / (Number(process.hrtime.bigint() - start) / 1e9));
    }
  }
  const memory = median(perSecond.get('memory store') as number[]);
  const shared = median(perSecond.get('redis store') as number[]);
  console.log(`closed state, ${CALLS.toLocaleString('en')} sequential calls x ${ROUNDS} rounds, median calls/s`);
  console.log(`  memory store ${memory.toFixed(0).padStart(10)} calls/s`);
  console.log(`  redis store  ${shared.toFixed(0).padStart(10)} calls/s   store status ${state.status()}`);
  await state.close();

  // 2. Open-state propagation across replicas.
  const probe = new Redis(redis.url);
  const pings: number[] = [];
  for (let i = 0; i < 500; i++) {
    const start = now();
    await probe.ping();
    pings.push(now() - start);
  }
  probe.disconnect();

  const namespace = 'bench-propagation';
  replicas.push(...(await Promise.all([0, 1].map(() => forkReplica({ url: redis.url, namespace, policy: POLICY })))));
  const tripper = await RedisState.connect({ url: redis.url, namespace });
  const guard = createGuard({ name: 'orchestrator', breaker: POLICY, store: await tripper.store('orchestrator') });
  const fail = async () => {
    throw new OrchestratorError('connection_refused', 'down');
  };
  const delays: number[] = [];
  for (let trip = 0; trip < TRIPS; trip++) {
    for (let i = 0; i < POLICY.failMax - 1; i++) await guard.execute(fail).catch(() => undefined);
    const started = now();
    await guard.execute(fail).catch(() => undefined);
    for (const replica of replicas) {
      const seen = await replica.until((look) => look.changes.some((change, i) => change.to === 'open' && (look.changedAt[i] ?? 0) >= started), 'the trip', 5000);
      const at = seen.changedAt.find((time, i) => seen.changes[i]?.to === 'open' && time >= started) as number;
      delays.push(at - started);
    }
    await guard.reset();
    await Promise.all(replicas.map((replica) => replica.until((look) => look.snapshot.state === 'closed', 'the reset')));
  }
  await tripper.close();
  const p50 = percentile(delays, 50);
  const p99 = percentile(delays, 99);
  const pingP99 = percentile(pings, 99);
  console.log(`\nopen-state propagation, ${TRIPS} trips x ${replicas.length} replicas (separate processes)`);
  console.log(`  trip -> replica sees open   p50 ${p50.toFixed(2)} ms   p99 ${p99.toFixed(2)} ms   max ${Math.max(...delays).toFixed(2)} ms`);
  console.log(`  Redis PING round trip       p50 ${percentile(pings, 50).toFixed(2)} ms   p99 ${pingP99.toFixed(2)} ms`);

  const ratio = shared / memory;
  const throughputPass = ratio >= 0.8;
  const propagationPass = p99 < 100;
  missed = !throughputPass || !propagationPass;
  console.log('');
  console.log(
    `  ${'closed-state throughput, redis vs memory store'.padEnd(50)} ${shared.toFixed(0)} / ${memory.toFixed(0)} calls/s = ${ratio.toFixed(2)}  target >= 0.8  ${throughputPass ? 'PASS' : 'MISS'}`,
  );
  console.log(
    `  ${'open-state propagation p99'.padEnd(50)} ${p99.toFixed(2)} ms (PING p99 ${pingP99.toFixed(2)} ms, ${(p99 / pingP99).toFixed(1)}x)  target < 100 ms  ${propagationPass ? 'PASS' : 'MISS'}`,
  );
} finally {
  await Promise.all(replicas.map((replica) => replica.stop()));
  await redis.stop();
}
process.exit(missed ? 1 : 0);
