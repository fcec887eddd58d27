/**
 * What `shield serve --state redis://…` adds to a server: one Redis-backed store per guarded upstream,
 * and the state store's status in logs and metrics (`/health` reads `status()`).
 */
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from './logger.js';
import type { ShieldConfig } from './config.js';
import { defaultNamespace, type StateSettings } from './redis-settings.js';
import { RedisState, type RedisBreakerStore, type StateStoreStatus } from './redis-store.js';

export interface SharedState {
  status(): StateStoreStatus;
  storeFor(upstream: string): RedisBreakerStore | undefined;
  /** Logs status changes and exports `shield_state_store_status`; returns a function that stops logging. */
  observe(logger: Logger, registry: Registry): () => void;
  close(): Promise<void>;
}

/** The shared state a configuration asks for (`state:`), one circuit per upstream that has a breaker. */
export function openSharedStateFor(config: ShieldConfig & { state: NonNullable<ShieldConfig['state']> }, configFile?: string): Promise<SharedState> {
  const { url, namespace = defaultNamespace(configFile), budgetMs, ttlMs } = config.state;
  const guarded = Object.values(config.upstreams).filter((upstream) => upstream.breaker !== false);
  return openSharedState({ url, namespace, budgetMs, ttlMs }, guarded.map((upstream) => upstream.name));
}

/** Connects (a Redis that is down only makes the state start degraded) and loads each upstream's circuit. */
export async function openSharedState(settings: StateSettings, upstreams: readonly string[]): Promise<SharedState> {
  const state = await RedisState.connect({ url: settings.url, namespace: settings.namespace, budgetMs: settings.budgetMs, ttlMs: settings.ttlMs });
  const stores = new Map<string, RedisBreakerStore>();
  for (const upstream of upstreams) stores.set(upstream, await state.store(upstream));
  return {
    status: () => state.status(),
    storeFor: (upstream) => stores.get(upstream),
    observe(logger, registry) {
      new Gauge({
        name: 'shield_state_store_status',
        help: 'Shared breaker state (Redis): 1 for the current status, 0 for the other; degraded means local state only.',
        labelNames: ['status'],
        registers: [registry],
        collect() {
          const status = state.status();
          this.set({ status: 'ok' }, status === 'ok' ? 1 : 0);
          this.set({ status: 'degraded' }, status === 'degraded' ? 1 : 0);
        },
      });
      const where = { namespace: settings.namespace, url: redactedUrl(settings.url) };
      if (state.status() === 'degraded') {
        logger.warn({ event: 'state_store', status: 'degraded', ...where }, `state store degraded: cannot reach Redis at ${where.url}; serving with local breaker state`);
      }
      return state.onStatus((event) => {
        if (event.status === 'degraded') {
          logger.warn({ event: 'state_store', status: 'degraded', reason: event.reason, ...where }, `state store degraded: ${event.reason}; serving with local breaker state`);
        } else {
          logger.info({ event: 'state_store', status: 'ok', ...where }, 'state store ok: breaker state shared through Redis again');
        }
      });
    },
    close: () => state.close(),
  };
}

/** The URL without its password, for logs. */
function redactedUrl(text: string): string {
  const url = new URL(text);
  if (url.password !== '') url.password = '***';
  return url.toString();
}
