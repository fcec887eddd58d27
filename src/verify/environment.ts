/**
 * What `shield verify` drives: a Shield server and a way to take its orchestrator down. Embedded
 * (the default): a simulator and servers started in this process on free loopback ports, with the
 * plan's durations scaled. Target: a deployment, with the orchestrator behind a chaos proxy or
 * simulator whose control API takes it down and up.
 */
import type { Writable } from 'node:stream';
import type { Guard } from '../breaker/types.js';
import { UnreachableError, UsageError } from '../cli/exit-codes.js';
import { parseServerUrl, SERVER_URL_HINT } from '../client/index.js';
import { DEFAULT_UPSTREAM, resolveConfig, startServer } from '../server/index.js';
import type { ShieldConfig } from '../server/index.js';
import { openSharedStateFor } from '../server/redis-shared-state.js';
import { createChaosControl, startSim } from '../sim/index.js';
import type { ChaosHandle, ModeInput } from '../sim/index.js';
import type { VerifySettings } from '../report/verify-report.js';
import { PLAN, scaleMs } from './plan.js';
import { startPrivateRedis } from './private-redis.js';
import type { PrivateRedis } from './private-redis.js';

/** A Shield server under test. */
export interface ShieldUnderTest {
  /** The MCP endpoint. */
  url: string;
  /** Where `/health` and `/metrics` are. */
  origin: string;
  /** The orchestrator upstream's name, the key under `/health`'s `circuit_breakers`. */
  upstream: string;
  /** Embedded only: the orchestrator's guard, whose events give exact state-change times. */
  guard: Guard | null;
  /**
   * `--replicas N`: every replica sharing this circuit through Redis, this one first; calls are
   * spread over them round-robin and `/health` is read on each. Absent: one server.
   */
  replicas?: readonly ShieldUnderTest[];
  close(): Promise<void>;
}

export interface Orchestrator {
  setMode(mode: ModeInput): Promise<void>;
  /** Requests that reached the orchestrator so far. */
  requests(): Promise<number>;
}

/** Guard settings that differ from the server under test's, for scenario 4's and 5's comparisons. */
export interface GuardVariant {
  /** `none`: no breaker at all (the plan's baseline). */
  breaker?: 'none' | 'rate';
  maxConcurrent?: number;
}

/** Deliberate changes to the embedded guard, to see verify fail (`--fail-max`, `--no-breaker`). */
export interface GuardUnderTest {
  failMax?: number;
  breaker?: boolean;
}

export interface Environment {
  mode: 'embedded' | 'target';
  /** Replicas sharing one circuit, and the Redis they share it in; null for one server. */
  replicas: { count: number; stateUrl: string } | null;
  shield: ShieldUnderTest;
  /** Null when the orchestrator cannot be taken down from here. */
  orchestrator: Orchestrator | null;
  chaosUrl: string | null;
  /** Embedded only: another server on the same orchestrator with other guard settings. */
  startVariant: ((variant: GuardVariant) => Promise<ShieldUnderTest>) | null;
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  settings: VerifySettings;
  scale: number;
  /** Servers sharing one circuit through Redis (default 1: one server, local state). */
  replicas?: number;
  /** With replicas: the Redis they share; default a private `redis-server` started for the run. */
  stateUrl?: string;
  guard?: GuardUnderTest;
  /** Where the servers' JSON log lines go; default nowhere. */
  logStream?: Writable;
}

/**
 * A bulkhead of `total` spread over the replicas (5 over 3: 2, 2, 1), so that as many callers wait
 * cluster-wide as on one server; at least 1 each.
 */
export function bulkheadShare(total: number | undefined, replica: number, replicas: number): number | undefined {
  if (total === undefined) return undefined;
  return Math.max(1, Math.floor(total / replicas) + (replica < total % replicas ? 1 : 0));
}

function simOrchestrator(sim: ChaosHandle): Orchestrator {
  return {
    setMode: async (mode) => {
      await sim.setMode(mode);
    },
    requests: async () => sim.counters().requests,
  };
}

export async function startEmbedded(options: EmbeddedOptions): Promise<Environment> {
  const { settings, scale } = options;
  const sim = await startSim({
    latency: { minMs: scaleMs(PLAN.orchestratorLatencyMs.min, scale), maxMs: scaleMs(PLAN.orchestratorLatencyMs.max, scale) },
  });
  const servers = new Set<ShieldUnderTest>();

  const replicaCount = options.replicas ?? 1;
  let redis: PrivateRedis | null = null;
  let stateUrl: string | null = null;
  if (replicaCount > 1) {
    try {
      if (options.stateUrl === undefined) redis = await startPrivateRedis();
    } catch (error) {
      await sim.close();
      throw error;
    }
    stateUrl = options.stateUrl ?? redis!.url;
  }
  /** Each cluster (the server under test, each variant) gets its own circuit in Redis. */
  const runId = `shield-verify-${process.pid}-${Date.now().toString(36)}`;
  let clusters = 0;

  function configFor(variant: GuardVariant, maxConcurrent: number | undefined, namespace: string | null): ShieldConfig {
    const breakerEnabled = variant.breaker !== 'none' && options.guard?.breaker !== false;
    const breaker: Record<string, unknown> = {
      enabled: breakerEnabled,
      fail_max: options.guard?.failMax ?? settings.fail_max,
      reset_timeout: `${settings.reset_timeout_ms}ms`,
    };
    if (variant.breaker === 'rate') breaker.failure_rate = { threshold: PLAN.ratePolicy.threshold, window: PLAN.ratePolicy.window };
    const upstream: Record<string, unknown> = { url: sim.url, timeout: `${settings.timeout_ms}ms`, breaker };
    if (maxConcurrent !== undefined) upstream.max_concurrent = maxConcurrent;
    return resolveConfig(
      {
        server: { host: '127.0.0.1', port: 0, shutdown_grace: '100ms' },
        log: { level: options.logStream ? 'info' : 'silent', format: 'json' },
        upstreams: { [DEFAULT_UPSTREAM]: upstream },
        ...(namespace !== null && stateUrl !== null ? { state: { url: stateUrl, namespace } } : {}),
      },
      { env: {} },
    );
  }

  async function startOne(config: ShieldConfig): Promise<ShieldUnderTest> {
    const sharedState = config.state ? await openSharedStateFor({ ...config, state: config.state }) : undefined;
    if (sharedState?.status() === 'degraded') {
      // Each replica would keep its own circuit: a run that could only pass or fail for the wrong reason.
      await sharedState.close();
      throw new UnreachableError(`--state ${config.state!.url}: cannot reach Redis, so the replicas cannot share a circuit`);
    }
    let running;
    try {
      running = await startServer(config, { ...(options.logStream ? { logStream: options.logStream } : {}), ...(sharedState ? { sharedState } : {}) });
    } catch (error) {
      await sharedState?.close();
      throw error;
    }
    return {
      url: running.url,
      origin: running.origin,
      upstream: DEFAULT_UPSTREAM,
      guard: running.guards.get(DEFAULT_UPSTREAM) ?? null,
      close: async () => {
        await running.close(0);
        await sharedState?.close();
      },
    };
  }

  async function start(variant: GuardVariant = {}): Promise<ShieldUnderTest> {
    if (replicaCount === 1) {
      const one = await startOne(configFor(variant, variant.maxConcurrent, null));
      const shield: ShieldUnderTest = {
        ...one,
        close: async () => {
          servers.delete(shield);
          await one.close();
        },
      };
      servers.add(shield);
      return shield;
    }
    const namespace = `${runId}-${clusters++}`;
    const members: ShieldUnderTest[] = [];
    try {
      for (let i = 0; i < replicaCount; i++) {
        members.push(await startOne(configFor(variant, bulkheadShare(variant.maxConcurrent, i, replicaCount), namespace)));
      }
    } catch (error) {
      await Promise.all(members.map((member) => member.close()));
      throw error;
    }
    const cluster: ShieldUnderTest = {
      ...members[0]!,
      replicas: members,
      close: async () => {
        servers.delete(cluster);
        await Promise.all(members.map((member) => member.close()));
      },
    };
    servers.add(cluster);
    return cluster;
  }

  let shield: ShieldUnderTest;
  try {
    shield = await start();
  } catch (error) {
    await sim.close();
    await redis?.stop();
    throw error;
  }
  return {
    mode: 'embedded',
    replicas: stateUrl === null ? null : { count: replicaCount, stateUrl },
    shield,
    orchestrator: simOrchestrator(sim),
    chaosUrl: null,
    startVariant: start,
    close: async () => {
      await Promise.all([...servers].map((server) => server.close()));
      await sim.close();
      await redis?.stop();
    },
  };
}

/** `http://host:8081` means the MCP endpoint `http://host:8081/mcp`, as the plan writes servers. */
function mcpEndpoint(target: URL | string): URL {
  const url = typeof target === 'string' ? parseServerUrl(target) : new URL(target);
  if (!url) throw new UsageError(`--target ${JSON.stringify(target)} is not a server; expected ${SERVER_URL_HINT}`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/mcp';
  return url;
}

export function connectTarget(target: URL | string, chaosUrl: string | null, upstream = DEFAULT_UPSTREAM): Environment {
  const url = mcpEndpoint(target);
  const control = chaosUrl === null ? null : createChaosControl(chaosUrl);
  return {
    mode: 'target',
    replicas: null,
    shield: { url: url.href, origin: url.origin, upstream, guard: null, close: async () => {} },
    orchestrator: control && {
      setMode: async (mode) => {
        await control.setMode(mode);
      },
      requests: async () => (await control.status()).counters.requests,
    },
    chaosUrl: control?.url ?? null,
    startVariant: null,
    close: async () => {},
  };
}
