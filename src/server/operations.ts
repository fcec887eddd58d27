/**
 * The operator's routes: `/health` (liveness, never waits on an upstream), `/ready` (503 while a
 * circuit is open) and the admin actions on breakers.
 */
import type { Guard, GuardSnapshot } from '../breaker/types.js';
import type { Reply } from './protocol.js';
import type { StateStoreStatus } from './redis-store.js';

export interface HealthBody {
  status: 'ok' | 'degraded';
  version: string;
  uptime_s: number;
  circuit_breakers: Record<string, GuardSnapshot>;
  /** With shared state (`--state`): `degraded` while Redis is unreachable and each replica counts alone. */
  state_store?: StateStoreStatus;
}

export function health(guards: ReadonlyMap<string, Guard>, version: string, startedAt: number, stateStore?: StateStoreStatus): HealthBody {
  const circuit_breakers: Record<string, GuardSnapshot> = {};
  let degraded = false;
  for (const [name, guard] of guards) {
    const snapshot = guard.snapshot();
    circuit_breakers[name] = snapshot;
    if (snapshot.state !== 'closed') degraded = true;
  }
  return {
    status: degraded ? 'degraded' : 'ok',
    version,
    uptime_s: Math.round((Date.now() - startedAt) / 100) / 10,
    circuit_breakers,
    ...(stateStore === undefined ? {} : { state_store: stateStore }),
  };
}

export function ready(guards: ReadonlyMap<string, Guard>, draining: boolean): Reply {
  if (draining) return { status: 503, body: { ready: false, reason: 'shutting down' } };
  const open = [...guards].filter(([, guard]) => guard.snapshot().state === 'open').map(([name]) => name);
  if (open.length > 0) return { status: 503, body: { ready: false, reason: 'circuit open', open_circuits: open } };
  return { status: 200, body: { ready: true } };
}

export const ADMIN_ACTIONS = ['open', 'close', 'reset'] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

/** Applies an admin action; the reply carries the breaker's snapshot afterwards. */
export function adminAction(guards: ReadonlyMap<string, Guard>, upstream: string, action: string): Reply {
  const guard = guards.get(upstream);
  if (!guard) {
    return { status: 404, body: { error: `unknown upstream '${upstream}'; expected one of ${[...guards.keys()].join(', ')}` } };
  }
  if (action === 'open') guard.forceOpen();
  else if (action === 'close') guard.forceClosed();
  else if (action === 'reset') guard.reset();
  else return { status: 404, body: { error: `unknown action '${action}'; expected one of ${ADMIN_ACTIONS.join(', ')}` } };
  return { status: 200, body: { upstream, action, breaker: guard.snapshot() } };
}
