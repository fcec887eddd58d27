/**
 * Composes the Shield server: one guard and one keep-alive pool per upstream, the tools, the
 * session store, metrics and logs, behind one node:http server; and shuts it down gracefully.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGuard } from '../breaker/index.js';
import { OrchestratorError } from '../breaker/errors.js';
import type { Clock } from '../breaker/clock.js';
import type { BreakerStore, Guard, GuardOptions } from '../breaker/types.js';
import type { ShieldConfig, UpstreamConfig } from './config.js';
import { createRequestHandler } from './http.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import { ServerMetrics } from './metrics.js';
import { McpEndpoint } from './protocol.js';
import { SessionStore } from './sessions.js';
import { compileTools } from './tools.js';
import { createUpstream } from './upstream.js';
import type { Upstream } from './upstream.js';
import type { SharedState } from './redis-shared-state.js';

const { version: VERSION } = createRequire(import.meta.url)('../../package.json') as { version: string };
export { VERSION };

export interface StartOptions {
  clock?: Clock;
  /** Where log lines go; default stdout (pretty on a terminal). */
  logStream?: NodeJS.WritableStream;
  logger?: Logger;
  /** Shared breaker state for an upstream (e.g. Redis); default in memory. */
  storeFor?: (upstream: string) => BreakerStore | undefined;
  /** Breaker state shared through Redis: its stores, and its status on /health, /metrics and in logs. */
  sharedState?: SharedState;
}

export interface RunningServer {
  /** The MCP endpoint: `http://host:port/mcp`. */
  url: string;
  origin: string;
  port: number;
  config: ShieldConfig;
  guards: ReadonlyMap<string, Guard>;
  logger: Logger;
  /** Stops accepting, lets calls in flight finish for up to `graceMs` (default: config), aborts the rest, closes pools. */
  close(graceMs?: number): Promise<void>;
}

/** Upstream 4xx (except 408 and 429) means the upstream is alive and answered: not a failure of it. */
function isClientError(error: unknown): boolean {
  return (
    error instanceof OrchestratorError &&
    error.reason === 'http_status' &&
    error.status !== undefined &&
    error.status >= 400 &&
    error.status < 500 &&
    error.status !== 408 &&
    error.status !== 429
  );
}

export function guardOptions(upstream: UpstreamConfig, clock?: Clock, store?: BreakerStore): GuardOptions {
  const options: GuardOptions = {
    name: upstream.name,
    timeoutMs: upstream.timeoutMs,
    maxQueue: upstream.maxQueue,
    breaker: false,
  };
  if (upstream.maxConcurrent !== undefined) options.maxConcurrent = upstream.maxConcurrent;
  if (clock) options.clock = clock;
  if (store) options.store = store;
  const b = upstream.breaker;
  if (b !== false) {
    options.breaker = {
      failMax: b.failMax,
      resetTimeoutMs: b.resetTimeoutMs,
      halfOpenMaxCalls: b.halfOpenMaxCalls,
      successThreshold: b.successThreshold,
      ...(b.failureRate ? { failureRate: b.failureRate } : {}),
      ...(b.backoff ? { backoff: b.backoff } : {}),
      ...(b.countClientErrors ? {} : { exclude: isClientError }),
    };
  }
  return options;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export async function startServer(config: ShieldConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.log, options.logStream);
  const tools = compileTools(config.tools);
  const guards = new Map<string, Guard>();
  const upstreams = new Map<string, Upstream>();
  const storeFor = options.storeFor ?? options.sharedState?.storeFor;
  for (const upstream of Object.values(config.upstreams)) {
    guards.set(upstream.name, createGuard(guardOptions(upstream, options.clock, storeFor?.(upstream.name))));
    upstreams.set(upstream.name, createUpstream(upstream));
  }
  const sessions = new SessionStore({
    idleTimeoutMs: config.server.sessionIdleTimeoutMs,
    maxSessions: config.server.maxSessions,
    ...(options.clock ? { clock: options.clock } : {}),
    onEnd: (session, why) => {
      if (why !== 'closed' && logger.isLevelEnabled('debug')) logger.debug({ event: 'session_end', session: session.id, why }, `session ${why}`);
    },
  });
  const metrics = new ServerMetrics(guards, () => sessions.size);
  const unsubscribes = [...guards.values()].map((guard) =>
    guard.on((event) => {
      if (event.type !== 'state_change') return;
      metrics.transition(event.name, event.from, event.to);
      const level = event.to === 'open' ? 'warn' : 'info';
      logger[level](
        {
          event: 'circuit_breaker_state_change',
          upstream: event.name,
          from: event.from,
          to: event.to,
          fail_counter: event.fail_counter,
          reason: event.reason,
        },
        `circuit_breaker_state_change ${event.name}: ${event.from} -> ${event.to} (fail_counter ${event.fail_counter}, ${event.reason})`,
      );
    }),
  );
  if (options.sharedState) unsubscribes.push(options.sharedState.observe(logger, metrics.registry));
  const endpoint = new McpEndpoint({
    tools,
    guards,
    upstreams,
    sessions,
    metrics,
    logger,
    serverInfo: { name: 'shield', version: VERSION },
  });

  let draining = false;
  let active = 0;
  let idle: (() => void) | undefined;
  const handler = createRequestHandler({
    settings: config.server,
    endpoint,
    guards,
    metrics,
    logger,
    version: VERSION,
    startedAt: Date.now(),
    ...(options.sharedState ? { stateStore: options.sharedState.status } : {}),
    isDraining: () => draining,
    track(delta) {
      active += delta;
      if (active === 0) idle?.();
    },
  });
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, handler);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  await listen(server, config.server.port, config.server.host);
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  const origin = `http://${hostForUrl === '0.0.0.0' || hostForUrl === '[::]' ? '127.0.0.1' : hostForUrl}:${port}`;
  logger.info(
    {
      event: 'listening',
      url: `${origin}/mcp`,
      upstreams: Object.fromEntries(Object.values(config.upstreams).map((u) => [u.name, u.url])),
      tools: [...tools.keys()],
    },
    `shield listening on ${origin}/mcp`,
  );

  if (!['127.0.0.1', 'localhost', '::1'].includes(config.server.host) && config.server.allowedHosts.length === 0) {
    logger.warn(
      { event: 'host_check_off', host: config.server.host },
      'listening beyond loopback with no server.allowed_hosts: the Host header is not checked (DNS rebinding protection off)',
    );
  }

  let closing: Promise<void> | undefined;
  async function close(graceMs = config.server.shutdownGraceMs): Promise<void> {
    closing ??= (async () => {
      draining = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (active > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs);
          idle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      if (active > 0) {
        logger.warn({ event: 'shutdown_abort', in_flight: active }, `aborting ${active} request(s) still in flight after the grace period`);
        endpoint.abortAll();
        await sleep(20);
      }
      for (const socket of sockets) socket.destroy();
      await stopped;
      for (const unsubscribe of unsubscribes) unsubscribe();
      sessions.close();
      await Promise.all([...upstreams.values()].map((upstream) => upstream.close()));
      logger.info({ event: 'stopped' }, 'shield stopped');
      logger.flush?.();
    })();
    return closing;
  }

  return { url: `${origin}/mcp`, origin, port, config, guards, logger, close };
}
