import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../breaker/clock.js';
import { createGuard } from '../breaker/guard.js';
import { OrchestratorError } from '../breaker/errors.js';
import type { ShieldErrorJSON } from '../breaker/errors.js';
import { resolveConfig } from './config.js';
import { prepareCall } from './tool-call.js';
import type { PreparedCall } from './tool-call.js';
import { compileTools } from './tools.js';

const START = Date.parse('2026-01-01T00:00:00.000Z');

function setup() {
  const clock = new FakeClock(START);
  const guard = createGuard({ name: 'orchestrator', clock, breaker: { failMax: 2, resetTimeoutMs: 60_000 } });
  const tool = compileTools(resolveConfig({}, { env: {} }).tools).get('lightrag_query')!;
  return { clock, guard, tool };
}

interface ErrorResult {
  content: Array<{ text: string }>;
  structuredContent: { error: ShieldErrorJSON };
  isError: boolean;
}

function settledResult(prepared: PreparedCall) {
  assert.ok('settled' in prepared, 'the call should be settled without the upstream');
  return { outcome: prepared.settled.outcome, result: JSON.parse(prepared.settled.resultJson) as ErrorResult };
}

async function trip(guard: ReturnType<typeof createGuard>, times: number) {
  for (let i = 0; i < times; i++) {
    await guard
      .execute(async () => {
        throw new OrchestratorError('connection_refused', 'refused', { upstream: 'orchestrator' });
      })
      .catch(() => undefined);
  }
}

describe('prepareCall: what is settled before the upstream', () => {
  it('passes valid arguments on with defaults while the circuit is closed', () => {
    const { guard, tool } = setup();
    const prepared = prepareCall(tool, { query: 'q' }, guard, 'orchestrator');
    assert.deepEqual(prepared, { args: { query: 'q', mode: 'hybrid' } });
  });

  it('answers invalid arguments as invalid_arguments, whatever the circuit', async () => {
    const { guard, tool } = setup();
    await trip(guard, 2);
    const { outcome, result } = settledResult(prepareCall(tool, { query: 5 }, guard, 'orchestrator'));
    assert.equal(outcome, 'invalid_arguments');
    assert.equal(result.isError, true);
    assert.equal(result.structuredContent.error.type, 'invalid_arguments');
    assert.match(result.content[0]!.text, /query/);
  });

  it('answers an open circuit at once, and each answer carries the retry time of its own moment', async () => {
    const { clock, guard, tool } = setup();
    await trip(guard, 2);
    const first = settledResult(prepareCall(tool, { query: 'q' }, guard, 'orchestrator'));
    assert.equal(first.outcome, 'circuit_breaker_error');
    assert.deepEqual(first.result.structuredContent.error, {
      type: 'circuit_breaker_error',
      message: "circuit breaker 'orchestrator' is open; retry in 60000 ms",
      upstream: 'orchestrator',
      circuit: { state: 'open', fail_counter: 2 },
      retry_after_ms: 60_000,
    });
    assert.equal(first.result.content[0]!.text, "circuit_breaker_error: circuit breaker 'orchestrator' is open; retry in 60000 ms");
    clock.advance(1_500);
    const later = settledResult(prepareCall(tool, { query: 'q' }, guard, 'orchestrator'));
    assert.equal(later.result.structuredContent.error.retry_after_ms, 58_500);
    assert.match(later.result.content[0]!.text, /retry in 58500 ms/);
    clock.advance(58_500);
    assert.deepEqual(prepareCall(tool, { query: 'q' }, guard, 'orchestrator'), { args: { query: 'q', mode: 'hybrid' } }, 'half-open: the trial goes on');
  });

  it('tells circuits apart that share a retry time', async () => {
    const { clock, tool } = setup();
    const guards = ['a', 'b'].map((name) => createGuard({ name, clock, breaker: { failMax: 1, resetTimeoutMs: 60_000 } }));
    for (const guard of guards) await trip(guard, 1);
    const [a, b] = guards.map((guard) => settledResult(prepareCall(tool, { query: 'q' }, guard, guard.name)).result.structuredContent.error);
    assert.equal(a?.upstream, 'a');
    assert.equal(b?.upstream, 'b');
    assert.match(b?.message ?? '', /'b' is open/);
  });
});
