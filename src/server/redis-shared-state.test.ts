import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startTestRedis, type TestRedis } from '../../test/helpers/redis-server.js';
import { openSharedState } from './redis-shared-state.js';

let redis: TestRedis;

before(async () => {
  redis = await startTestRedis();
});

after(async () => {
  await redis.stop();
});

function capture(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('one store per upstream; the status reaches the log (password redacted) and the metric, and follows Redis', async () => {
  const url = 'redis://:s3cret@127.0.0.1:1/0';
  const shared = await openSharedState({ url, namespace: 'wiring', budgetMs: 50, ttlMs: 60_000 }, ['orchestrator', 'search']);
  const registry = new Registry();
  const { logger, lines } = capture();
  const stop = shared.observe(logger, registry);
  try {
    assert.equal(shared.storeFor('orchestrator')?.key, 'shield:wiring:orchestrator');
    assert.equal(shared.storeFor('search')?.key, 'shield:wiring:search');
    assert.equal(shared.storeFor('unknown'), undefined);
    assert.equal(shared.status(), 'degraded', 'nothing listens on port 1');
    assert.match(JSON.stringify(lines), /"status":"degraded"/);
    assert.doesNotMatch(JSON.stringify(lines), /s3cret/);
  } finally {
    stop();
    await shared.close();
  }

  const healthy = await openSharedState({ url: redis.url, namespace: 'wiring', budgetMs: 50, ttlMs: 60_000 }, ['orchestrator']);
  const metrics = new Registry();
  const log = capture();
  const unobserve = healthy.observe(log.logger, metrics);
  try {
    assert.match(await metrics.metrics(), /shield_state_store_status\{status="ok"\} 1/);
    await redis.kill();
    await until(() => healthy.status() === 'degraded', 'degraded');
    assert.match(await metrics.metrics(), /shield_state_store_status\{status="degraded"\} 1/);
    assert.ok(log.lines.some((line) => line.event === 'state_store' && line.status === 'degraded' && line.namespace === 'wiring'));
    await redis.start();
    await until(() => healthy.status() === 'ok', 'ok again');
    assert.ok(log.lines.some((line) => line.event === 'state_store' && line.status === 'ok'));
  } finally {
    unobserve();
    await healthy.close();
  }
});
