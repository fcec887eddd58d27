import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { OrchestratorError } from '../breaker/errors.js';
import { createGuard } from '../breaker/guard.js';
import { initialRecord } from '../breaker/machine.js';
import type { BreakerRecord } from '../breaker/types.js';
import { startTestRedis, type TestRedis } from '../../test/helpers/redis-server.js';
import { decodeRecord, encodeRecord } from './redis-record.js';
import { RedisState, type StateStoreStatusEvent } from './redis-store.js';

let redis: TestRedis;
let admin: Redis;
const opened: RedisState[] = [];
let namespaceSeq = 0;

before(async () => {
  redis = await startTestRedis();
  admin = new Redis(redis.url);
  // The admin connection sees the kills too; it reconnects on its own.
  admin.on('error', () => {});
});

after(async () => {
  await Promise.all(opened.map((state) => state.close()));
  admin.disconnect();
  await redis.stop();
});

async function connect(namespace: string, options: { budgetMs?: number; probeIntervalMs?: number; ttlMs?: number; url?: string } = {}): Promise<RedisState> {
  const state = await RedisState.connect({ url: options.url ?? redis.url, namespace, ...options });
  opened.push(state);
  return state;
}

const freshNamespace = () => `test-${process.pid}-${namespaceSeq++}`;
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(10);
  }
}

function failed(record: BreakerRecord): BreakerRecord {
  return { ...record, version: record.version + 1, failCounter: record.failCounter + 1 };
}

test('records round-trip through their encoding and anything malformed decodes as absent', () => {
  const record: BreakerRecord = { ...initialRecord(7), state: 'half_open', openedAt: 1.5e12, trialLeases: [1.6e12], trips: 2 };
  assert.deepEqual(decodeRecord(encodeRecord(record)), record);
  assert.equal(decodeRecord('{'), undefined);
  assert.equal(decodeRecord(null), undefined);
  assert.equal(decodeRecord(JSON.stringify({ ...record, state: 'ajar' })), undefined);
  assert.equal(decodeRecord(JSON.stringify({ ...record, failCounter: -1 })), undefined);
  assert.equal(decodeRecord(JSON.stringify({ ...record, trialLeases: ['x'] })), undefined);
});

test('compare-and-set commits on the expected version, answers a conflict with the stored record, and publishes', async () => {
  const namespace = freshNamespace();
  const a = await (await connect(namespace)).store('orchestrator');
  const b = await (await connect(namespace)).store('orchestrator');
  const heard: BreakerRecord[] = [];
  b.subscribe((record) => heard.push(record));

  const first = await a.compareAndSet(a.read(), failed(a.read()));
  assert.equal(first.version, 1);
  const conflict = await b.compareAndSet(initialRecord(), { ...failed(initialRecord()), failCounter: 9 });
  assert.equal(conflict.version, 1, 'the loser gets the stored record');
  assert.equal(conflict.failCounter, 1);
  await until(() => b.read().version === 1, 'b to see version 1');
  assert.deepEqual(await admin.hmget(`shield:${namespace}:orchestrator`, 'v'), ['1']);
  assert.equal(heard.filter((record) => record.version === 1).length <= 1, true, 'a record is heard at most once');
});

test('keys are namespaced per deployment and upstream and expire', async () => {
  const namespace = freshNamespace();
  const state = await connect(namespace, { ttlMs: 60_000 });
  const lightrag = await state.store('lightrag');
  const other = await state.store('search');
  await lightrag.compareAndSet(lightrag.read(), failed(lightrag.read()));
  assert.equal(lightrag.key, `shield:${namespace}:lightrag`);
  const ttl = await admin.pttl(lightrag.key);
  assert.ok(ttl > 50_000 && ttl <= 60_000, `PTTL ${ttl}`);
  assert.equal(await admin.exists(other.key), 0, 'an untouched circuit writes nothing');
  assert.equal(other.read().failCounter, 0);
  await assert.rejects(state.store('lightrag'), /already exists/);
});

test('a store opened later starts from the shared record', async () => {
  const namespace = freshNamespace();
  const first = await (await connect(namespace)).store('orchestrator');
  const open: BreakerRecord = { ...initialRecord(1), state: 'open', failCounter: 5, openedAt: Date.now(), trips: 1 };
  await first.compareAndSet(first.read(), open);
  const later = await (await connect(namespace)).store('orchestrator');
  assert.deepEqual(later.read(), open);
});

test('a malformed stored value reads as a fresh circuit and the next write replaces it', async () => {
  const namespace = freshNamespace();
  await admin.hset(`shield:${namespace}:orchestrator`, 'v', '4', 'r', 'garbage');
  const store = await (await connect(namespace)).store('orchestrator');
  assert.deepEqual(store.read(), initialRecord(4));
  const next = await store.compareAndSet(store.read(), failed(store.read()));
  assert.equal(next.version, 5);
  assert.deepEqual(decodeRecord(await admin.hget(store.key, 'r')), next);
});

test('an unreachable Redis at start-up: connect returns degraded and the store works locally', async () => {
  const state = await connect(freshNamespace(), { url: 'redis://127.0.0.1:1/0' });
  assert.equal(state.status(), 'degraded');
  const store = await state.store('orchestrator');
  assert.equal(store.status(), 'degraded');
  const next = store.compareAndSet(store.read(), failed(store.read()));
  assert.equal((next as BreakerRecord).version, 1, 'answers synchronously from local state');
  assert.equal(store.read().failCounter, 1);
});

/** Commands the server has run successfully since the last CONFIG RESETSTAT, by name (a NOSCRIPT miss is not one). */
async function commandCounts(): Promise<Record<string, number>> {
  const info = await admin.info('commandstats');
  return Object.fromEntries(
    [...info.matchAll(/^cmdstat_(\w+):calls=(\d+).*failed_calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2]) - Number(m[3])]),
  );
}

test('closed-state successes cost no Redis command; a failure and the success that resets it cost one each', async () => {
  const store = await (await connect(freshNamespace())).store('orchestrator');
  const guard = createGuard({ name: 'orchestrator', breaker: { failMax: 5 }, store });
  const ok = async () => 'answer';
  await admin.config('RESETSTAT');
  for (let i = 0; i < 1000; i++) await guard.execute(ok);
  const quiet = await commandCounts();
  assert.equal((quiet.evalsha ?? 0) + (quiet.eval ?? 0) + (quiet.hmget ?? 0), 0, `commands run: ${JSON.stringify(quiet)}`);

  await guard.execute(async () => {
    throw new OrchestratorError('connection_refused', 'down');
  }).catch(() => undefined);
  for (let i = 0; i < 100; i++) await guard.execute(ok);
  const after = await commandCounts();
  assert.equal((after.evalsha ?? 0) + (after.eval ?? 0), 2, `commands run: ${JSON.stringify(after)}`);
  assert.equal(store.read().failCounter, 0);
  guard.dispose();
});

test('a process too busy to read a reply in time is not mistaken for a slow Redis', async () => {
  const state = await connect(freshNamespace(), { budgetMs: 50 });
  const store = await state.store('orchestrator');
  for (let i = 0; i < 5; i++) {
    const write = store.compareAndSet(store.read(), failed(store.read()));
    const until = Date.now() + 120;
    while (Date.now() < until) {
      // a blocking task longer than the budget, while the reply arrives
    }
    await write;
  }
  assert.equal(state.status(), 'ok');
  assert.equal(store.read().failCounter, 5);
});

test('concurrent compare-and-sets from several connections commit one at a time (property)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 2, maxLength: 4 }), async (attemptsPerReplica) => {
      const namespace = freshNamespace();
      const states = await Promise.all(attemptsPerReplica.map(() => RedisState.connect({ url: redis.url, namespace })));
      const stores = await Promise.all(states.map((state) => state.store('orchestrator')));
      try {
        const committed: BreakerRecord[] = [];
        await Promise.all(
          stores.map(async (store, i) => {
            for (let attempt = 0; attempt < attemptsPerReplica[i]!; attempt++) {
              const expected = store.read();
              const next = failed(expected);
              if ((await store.compareAndSet(expected, next)) === next) committed.push(next);
            }
          }),
        );
        const versions = committed.map((record) => record.version).sort((x, y) => x - y);
        assert.deepEqual(versions, versions.map((_, i) => i + 1), 'each version committed exactly once, none skipped');
        const stored = decodeRecord(await admin.hget(`shield:${namespace}:orchestrator`, 'r'));
        assert.equal(stored?.failCounter, committed.length, 'every committed increment is in Redis, no more');
      } finally {
        await Promise.all(states.map((state) => state.close()));
      }
    }),
    { numRuns: 15 },
  );
});

// Killing and pausing the shared server: these run last and restore it.
test('Redis paused: a write waits no longer than the budget, the store degrades, then resynchronises', async () => {
  const namespace = freshNamespace();
  const state = await connect(namespace, { budgetMs: 50, probeIntervalMs: 50 });
  const store = await state.store('orchestrator');
  const events: StateStoreStatusEvent[] = [];
  state.onStatus((event) => events.push(event));
  await store.compareAndSet(store.read(), failed(store.read()));

  redis.pause();
  try {
    const started = performance.now();
    const next = await store.compareAndSet(store.read(), failed(store.read()));
    const waited = performance.now() - started;
    assert.ok(waited < 1000, `waited ${waited} ms on a paused Redis`);
    assert.equal(next.failCounter, 2, 'the failure still counts locally');
    assert.equal(state.status(), 'degraded');
    assert.equal(events[0]?.status, 'degraded');
  } finally {
    redis.resume();
  }
  await until(() => state.status() === 'ok', 'the store to recover');
  assert.equal(events.at(-1)?.status, 'ok');
  // Redis held version 1 (the paused write may or may not have landed): Redis wins the resync.
  const stored = decodeRecord(await admin.hget(store.key, 'r'));
  assert.deepEqual(store.read(), stored);
});

test('Redis killed: degraded at once; restarted empty: the local record seeds it and peers converge', async () => {
  const namespace = freshNamespace();
  const a = await connect(namespace, { probeIntervalMs: 50 });
  const b = await connect(namespace, { probeIntervalMs: 50 });
  const storeA = await a.store('orchestrator');
  const storeB = await b.store('orchestrator');
  const open: BreakerRecord = { ...initialRecord(1), state: 'open', failCounter: 5, openedAt: Date.now(), trips: 1 };
  await storeA.compareAndSet(storeA.read(), open);
  await until(() => storeB.read().state === 'open', 'b to hear the trip');

  await redis.kill();
  await until(() => a.status() === 'degraded' && b.status() === 'degraded', 'both to degrade');
  await redis.start();
  await until(() => a.status() === 'ok' && b.status() === 'ok', 'both to recover');
  await until(() => storeA.read().version === storeB.read().version, 'the replicas to converge');
  assert.equal(storeA.read().state, 'open');
  assert.deepEqual(storeB.read(), storeA.read());
  assert.deepEqual(decodeRecord(await admin.hget(storeA.key, 'r')), storeA.read(), 'the restarted Redis was seeded');
});

test('a replica started while Redis is down serves locally and joins once Redis comes up', async () => {
  await redis.kill();
  const state = await connect(freshNamespace(), { probeIntervalMs: 50 });
  assert.equal(state.status(), 'degraded');
  const store = await state.store('orchestrator');
  store.compareAndSet(store.read(), failed(store.read()));
  await redis.start();
  await until(() => state.status() === 'ok', 'the late Redis to be joined');
  assert.deepEqual(decodeRecord(await admin.hget(store.key, 'r')), store.read(), 'the local count was carried over');
});

test('a trip made while Redis was away wins over a closed circuit seeded by a peer, whoever resyncs first', async () => {
  for (let round = 0; round < 3; round++) {
    const namespace = freshNamespace();
    const a = await connect(namespace, { probeIntervalMs: 20 });
    const b = await connect(namespace, { probeIntervalMs: 20 });
    const storeA = await a.store('orchestrator');
    const storeB = await b.store('orchestrator');
    await redis.kill();
    await until(() => a.status() === 'degraded' && b.status() === 'degraded', 'both to degrade');
    storeA.compareAndSet(storeA.read(), failed(storeA.read()));
    const tripped: BreakerRecord = { ...storeB.read(), version: storeB.read().version + 1, state: 'open', failCounter: 5, openedAt: Date.now(), trips: 1 };
    storeB.compareAndSet(storeB.read(), tripped);
    await redis.start();
    await until(() => a.status() === 'ok' && b.status() === 'ok', 'both to recover');
    await until(() => storeA.read().version === storeB.read().version, 'the two to converge');
    assert.equal(storeA.read().state, 'open', `round ${round}`);
    assert.deepEqual(storeB.read(), storeA.read());
  }
});
