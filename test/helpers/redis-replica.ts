/**
 * One replica in its own process: a guard whose breaker state lives in Redis, driven over IPC by a
 * test or the benchmark (`forkReplica`). Each replica has its own event loop, so callers on different
 * replicas really race on Redis.
 *
 * Requests: { id, op: 'calls', count, outcome: 'success' | 'failure', delayMs } runs `count` calls at
 * once and answers how many reached the upstream and how each ended; { id, op: 'look' } answers the
 * snapshot, record, store status and state changes seen; { id, op: 'reset' | 'forceOpen' } acts on the
 * circuit. The child sends { ready } once its store has loaded.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createGuard } from '../../src/breaker/guard.js';
import { OrchestratorError } from '../../src/breaker/errors.js';
import type { BreakerPolicy, BreakerRecord, GuardEvent, GuardSnapshot } from '../../src/breaker/types.js';
import { RedisState, type StateStoreStatus } from '../../src/server/redis-store.js';

export interface ReplicaConfig {
  url: string;
  namespace: string;
  upstream?: string;
  policy: Partial<BreakerPolicy>;
  timeoutMs?: number;
  budgetMs?: number;
  probeIntervalMs?: number;
}

export interface CallsResult {
  /** Calls whose function ran (reached the "upstream"). */
  reached: number;
  succeeded: number;
  /** Error type → count (`orchestrator_error`, `circuit_breaker_error`, or an error's name). */
  errors: Record<string, number>;
  /** Calls whose own failure opened the circuit. */
  tripped: number;
}

export interface ReplicaLook {
  snapshot: GuardSnapshot;
  record: BreakerRecord;
  status: StateStoreStatus;
  changes: Extract<GuardEvent, { type: 'state_change' }>[];
  /** Epoch ms at which each state change was seen here. */
  changedAt: number[];
}

export interface Replica {
  calls(count: number, outcome: 'success' | 'failure', delayMs?: number): Promise<CallsResult>;
  look(): Promise<ReplicaLook>;
  reset(): Promise<void>;
  forceOpen(): Promise<void>;
  /** Waits until `look()` satisfies `condition` (polling), or throws after `ms`. */
  until(condition: (look: ReplicaLook) => boolean, what: string, ms?: number): Promise<ReplicaLook>;
  stop(): Promise<void>;
}

type Command = { op: 'calls'; count: number; outcome: 'success' | 'failure'; delayMs: number } | { op: 'look' | 'reset' | 'forceOpen' };
type Request = Command & { id: number };

const thisFile = fileURLToPath(import.meta.url);

export async function forkReplica(config: ReplicaConfig): Promise<Replica> {
  const child: ChildProcess = fork(thisFile, [JSON.stringify(config)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, (value: unknown) => void>();
  let sequence = 0;
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`replica exited with code ${code} before it was ready`)));
    child.on('message', (message: { ready?: true; id?: number; value?: unknown }) => {
      if (message.ready) resolve();
      else if (message.id !== undefined) {
        pending.get(message.id)?.(message.value);
        pending.delete(message.id);
      }
    });
  });
  await ready;
  const ask = <T>(request: Command): Promise<T> =>
    new Promise((resolve) => {
      const id = sequence++;
      pending.set(id, resolve as (value: unknown) => void);
      child.send({ ...request, id });
    });
  const look = () => ask<ReplicaLook>({ op: 'look' });
  return {
    calls: (count, outcome, delayMs = 0) => ask<CallsResult>({ op: 'calls', count, outcome, delayMs }),
    look,
    reset: () => ask<void>({ op: 'reset' }),
    forceOpen: () => ask<void>({ op: 'forceOpen' }),
    async until(condition, what, ms = 3000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const seen = await look();
        if (condition(seen)) return seen;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(seen.snapshot)} store ${seen.status}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function runReplica(config: ReplicaConfig): Promise<void> {
  const state = await RedisState.connect({
    url: config.url,
    namespace: config.namespace,
    budgetMs: config.budgetMs,
    probeIntervalMs: config.probeIntervalMs,
  });
  const upstream = config.upstream ?? 'orchestrator';
  const store = await state.store(upstream);
  const guard = createGuard({ name: upstream, breaker: config.policy, store, timeoutMs: config.timeoutMs ?? 2000 });
  const changes: ReplicaLook['changes'] = [];
  const changedAt: number[] = [];
  guard.on((event) => {
    if (event.type !== 'state_change') return;
    changes.push(event);
    changedAt.push(performance.timeOrigin + performance.now());
  });

  async function calls(count: number, outcome: 'success' | 'failure', delayMs: number): Promise<CallsResult> {
    const result: CallsResult = { reached: 0, succeeded: 0, errors: {}, tripped: 0 };
    await Promise.all(
      Array.from({ length: count }, async () => {
        try {
          await guard.execute(async () => {
            result.reached++;
            if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
            if (outcome === 'failure') throw new OrchestratorError('connection_refused', 'upstream refused the connection', { upstream });
          });
          result.succeeded++;
        } catch (error) {
          const type = (error as { type?: string }).type ?? (error as Error).name;
          result.errors[type] = (result.errors[type] ?? 0) + 1;
          if (error instanceof OrchestratorError && error.trippedCircuit) result.tripped++;
        }
      }),
    );
    return result;
  }

  process.on('message', async (request: Request) => {
    let value: unknown;
    switch (request.op) {
      case 'calls':
        value = await calls(request.count, request.outcome, request.delayMs);
        break;
      case 'look':
        value = { snapshot: guard.snapshot(), record: store.read(), status: store.status(), changes, changedAt } satisfies ReplicaLook;
        break;
      case 'reset':
        await guard.reset();
        break;
      case 'forceOpen':
        await guard.forceOpen();
        break;
    }
    process.send?.({ id: request.id, value });
  });
  process.once('SIGTERM', () => {
    guard.dispose();
    void state.close().then(() => process.exit(0));
  });
  process.send?.({ ready: true });
}

if (process.argv[1] === thisFile && process.send !== undefined) {
  await runReplica(JSON.parse(process.argv[2] ?? '{}') as ReplicaConfig);
}
