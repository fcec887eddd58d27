/**
 * `flaky` draws from a seeded PRNG: over 10,000 requests the fault sequence is the same on every run
 * and the fault fraction is close to the rate. The requests travel pipelined on one keep-alive
 * connection, so they arrive (and draw) in the order they were sent, and the run stays fast.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from 'undici';
import { startSim } from '../src/sim/index.js';
import type { ModeInput } from '../src/sim/index.js';
import { QUERY_BODY } from './sim-support.js';

const REQUESTS = 10_000;

/** The outcome of each request in send order: true = fault (503), false = answered. */
async function faultSequence(mode: ModeInput, requests = REQUESTS): Promise<boolean[]> {
  const sim = await startSim({ mode });
  const client = new Client(sim.url, { pipelining: 128 });
  try {
    const sequence = await Promise.all(
      Array.from({ length: requests }, async () => {
        const response = await client.request({
          path: '/query',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: QUERY_BODY,
        });
        await response.body.dump();
        assert.ok(response.statusCode === 200 || response.statusCode === 503, `unexpected ${response.statusCode}`);
        return response.statusCode === 503;
      }),
    );
    assert.equal(sim.counters().faults, sequence.filter(Boolean).length, 'the counters agree with what callers saw');
    return sequence;
  } finally {
    await client.close();
    await sim.close();
  }
}

test('flaky 0.5 with a fixed seed: the same sequence on every run, fault fraction within 0.47..0.53', async () => {
  const mode: ModeInput = { mode: 'flaky', rate: 0.5, fault: 'error', status: 503, seed: 7 };
  const first = await faultSequence(mode);
  const second = await faultSequence(mode);
  const fraction = first.filter(Boolean).length / REQUESTS;
  assert.ok(fraction >= 0.47 && fraction <= 0.53, `fault fraction ${fraction}`);
  assert.deepEqual(second, first, 'same seed, same sequence');
  const otherSeed = await faultSequence({ ...mode, seed: 8 }, 1_000);
  assert.notDeepEqual(otherSeed, first.slice(0, 1_000), 'another seed, another sequence');
});

test('flaky per connection: every request on a connection shares its draw', async () => {
  const sim = await startSim({ mode: { mode: 'flaky', rate: 0.5, per: 'connection', status: 503, seed: 3 } });
  try {
    const faultyConnections = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const client = new Client(sim.url);
        try {
          const statuses: number[] = [];
          for (let i = 0; i < 3; i++) {
            const response = await client.request({ path: '/query', method: 'POST', body: QUERY_BODY });
            await response.body.dump();
            statuses.push(response.statusCode);
          }
          assert.equal(new Set(statuses).size, 1, `one connection, mixed outcomes: ${statuses.join(',')}`);
          return statuses[0] === 503;
        } finally {
          await client.close();
        }
      }),
    );
    const faulty = faultyConnections.filter(Boolean).length;
    assert.ok(faulty > 5 && faulty < 35, `${faulty} of 40 connections faulty`);
    assert.equal(sim.counters().connections, 40);
  } finally {
    await sim.close();
  }
});
