/**
 * Drives the guard and a small reference model of the rules, written separately and imperatively
 * (PyBreaker's rules plus our half-open slots, timeouts, cancellation, rate policy and backoff), with
 * random sequences of calls, outcomes and clock advances. At every step both must agree on the state,
 * the failure counter and whether a call was admitted, rejected by the circuit or by the bulkhead.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { FakeClock } from './clock.js';
import { CircuitBreakerError, OrchestratorError, OverloadedError } from './errors.js';
import { createGuard } from './guard.js';

interface Config {
  failMax: number;
  resetTimeoutMs: number;
  halfOpenMaxCalls: number;
  successThreshold: number;
  timeoutMs: number;
  maxConcurrent: number;
  rate: { threshold: number; window: number } | null;
  backoff: boolean;
}

type State = 'closed' | 'open' | 'half_open';
type Decision = 'admitted' | 'circuit' | 'overloaded';

interface ModelCall {
  id: number;
  generation: number;
  trial: boolean;
  deadline: number;
}

class Model {
  state: State = 'closed';
  counter = 0;
  openedAt = 0;
  trips = 0;
  generation = 0;
  trialSuccesses = 0;
  window: boolean[] = [];
  calls: ModelCall[] = [];

  constructor(private readonly config: Config) {}

  resetTimeout(): number {
    if (!this.config.backoff) return this.config.resetTimeoutMs;
    return Math.min(this.config.resetTimeoutMs * 2 ** Math.max(0, this.trips - 1), this.config.resetTimeoutMs * 4);
  }

  stateAt(now: number): State {
    return this.state === 'open' && now >= this.openedAt + this.resetTimeout() ? 'half_open' : this.state;
  }

  start(id: number, now: number): Decision {
    const state = this.stateAt(now);
    const trials = this.calls.filter((c) => c.trial && c.generation === this.generation).length;
    if (state === 'open' || (state === 'half_open' && trials >= this.config.halfOpenMaxCalls)) return 'circuit';
    if (this.calls.length >= this.config.maxConcurrent) return 'overloaded';
    if (state === 'half_open' && this.state === 'open') {
      this.state = 'half_open';
      this.trialSuccesses = 0;
    }
    this.calls.push({ id, generation: this.generation, trial: state === 'half_open', deadline: now + this.config.timeoutMs });
    return 'admitted';
  }

  private take(id: number): ModelCall | undefined {
    const index = this.calls.findIndex((c) => c.id === id);
    return index < 0 ? undefined : this.calls.splice(index, 1)[0];
  }

  private trip(now: number): void {
    this.state = 'open';
    this.openedAt = now;
    this.trips++;
    this.generation++;
  }

  private rateTrips(failed: boolean): boolean {
    const rate = this.config.rate;
    if (!rate) return false;
    this.window.push(failed);
    if (this.window.length > rate.window) this.window.shift();
    const failures = this.window.filter(Boolean).length;
    return this.window.length >= rate.window && failures / this.window.length >= rate.threshold;
  }

  succeed(id: number, now: number): void {
    const call = this.take(id);
    if (!call || call.generation !== this.generation) return;
    if (call.trial) {
      if (++this.trialSuccesses >= this.config.successThreshold) {
        this.state = 'closed';
        this.counter = 0;
        this.trips = 0;
        this.generation++;
        this.window = [];
      }
      return;
    }
    this.counter = 0;
    if (this.rateTrips(false)) this.trip(now);
  }

  fail(id: number, now: number): void {
    const call = this.take(id);
    if (!call || call.generation !== this.generation) return;
    this.counter++;
    if (call.trial || this.counter >= this.config.failMax || this.rateTrips(true)) this.trip(now);
  }

  cancel(id: number): void {
    this.take(id);
  }
}

type Command =
  | { kind: 'call' }
  | { kind: 'succeed' | 'fail' | 'cancel'; pick: number }
  | { kind: 'advance'; ms: number };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'call' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('succeed' as const, 'fail' as const), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat(20) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 1500 }) }) },
);

const configArb: fc.Arbitrary<Config> = fc.record({
  failMax: fc.integer({ min: 1, max: 6 }),
  resetTimeoutMs: fc.constantFrom(500, 1000),
  halfOpenMaxCalls: fc.integer({ min: 1, max: 3 }),
  successThreshold: fc.integer({ min: 1, max: 3 }),
  timeoutMs: fc.integer({ min: 50, max: 400 }),
  maxConcurrent: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant(Infinity)),
  rate: fc.option(fc.record({ threshold: fc.constantFrom(0.25, 0.5, 0.75), window: fc.integer({ min: 2, max: 6 }) }), { nil: null }),
  backoff: fc.boolean(),
});

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

interface LiveCall {
  id: number;
  resolve: (value: string) => void;
  reject: (error: unknown) => void;
  abort: () => void;
}

async function runScenario(config: Config, commands: Command[]): Promise<void> {
  const clock = new FakeClock(1_000_000);
  const guard = createGuard({
    name: 'model',
    clock,
    timeoutMs: config.timeoutMs,
    maxConcurrent: config.maxConcurrent,
    breaker: {
      failMax: config.failMax,
      resetTimeoutMs: config.resetTimeoutMs,
      halfOpenMaxCalls: config.halfOpenMaxCalls,
      successThreshold: config.successThreshold,
      failureRate: config.rate ?? undefined,
      backoff: config.backoff ? { multiplier: 2, maxResetTimeoutMs: config.resetTimeoutMs * 4 } : undefined,
    },
  });
  const model = new Model(config);
  let live: LiveCall[] = [];
  let nextId = 0;
  const log: string[] = [];

  const check = (step: string) => {
    const snapshot = guard.snapshot();
    log.push(`${step} → ${snapshot.state}/${snapshot.fail_counter}`);
    const context = `after ${log.slice(-8).join('; ')}`;
    assert.equal(snapshot.state, model.stateAt(clock.now()), `state ${context}`);
    assert.equal(snapshot.fail_counter, model.counter, `fail_counter ${context}`);
  };

  for (const command of commands) {
    if (command.kind === 'call') {
      const id = nextId++;
      let invoked = false;
      const controller = new AbortController();
      const settled = guard
        .execute(
          (signal) =>
            new Promise<string>((resolve, reject) => {
              invoked = true;
              live.push({ id, resolve, reject, abort: () => controller.abort(new Error('cancelled')) });
              signal.addEventListener('abort', () => reject(signal.reason));
            }),
          { signal: controller.signal },
        )
        .then(
          () => 'ok',
          (e: unknown) => (e instanceof CircuitBreakerError ? 'circuit' : e instanceof OverloadedError ? 'overloaded' : 'error'),
        );
      await flush();
      const expected = model.start(id, clock.now());
      const actual: Decision = invoked ? 'admitted' : ((await settled) as Decision);
      assert.equal(actual, expected, `admission of call ${id} after ${log.slice(-8).join('; ')}`);
      check(`call#${id}:${actual}`);
    } else if (command.kind === 'advance') {
      // Advance to each deadline in turn so each timeout is booked at its own time, as it would be live.
      const target = clock.now() + command.ms;
      for (;;) {
        const due = model.calls.map((c) => c.deadline).filter((d) => d <= target);
        const next = due.length > 0 ? Math.min(...due) : target;
        clock.advance(next - clock.now());
        await flush();
        for (const call of model.calls.filter((c) => c.deadline <= clock.now())) {
          model.fail(call.id, clock.now());
          live = live.filter((l) => l.id !== call.id);
        }
        if (next === target) break;
      }
      check(`advance ${command.ms}`);
    } else if (live.length > 0) {
      const call = live[command.pick % live.length] as LiveCall;
      live = live.filter((l) => l !== call);
      if (command.kind === 'succeed') {
        call.resolve('ok');
        await flush();
        model.succeed(call.id, clock.now());
      } else if (command.kind === 'fail') {
        call.reject(new OrchestratorError('http_status', 'upstream said 500', { status: 500 }));
        await flush();
        model.fail(call.id, clock.now());
      } else {
        call.abort();
        await flush();
        model.cancel(call.id);
      }
      check(`${command.kind}#${call.id}`);
    }
  }
  for (const call of live) call.resolve('done');
  await flush();
  guard.dispose();
}

it('the guard agrees with the reference model at every step', async () => {
  await fc.assert(
    fc.asyncProperty(configArb, fc.array(commandArb, { minLength: 10, maxLength: 80, size: "max" }), runScenario),
    { numRuns: 300 },
  );
});
