/**
 * Breaker state shared by every replica through Redis.
 *
 * One `RedisState` per process holds two connections (commands, and a subscriber for pub/sub) and
 * hands out one `BreakerStore` per upstream. Each transition the core computes is committed by a Lua
 * compare-and-set that also publishes the new record, so counting and transitions are atomic and
 * every replica's local view follows within a pub/sub hop. Reads are local: the closed-state
 * success path never touches Redis.
 *
 * Redis is an optimisation, never a dependency of a call: nothing waits on it longer than `budgetMs`.
 * When a command misses the budget or a connection drops, the state store is `degraded`: each store
 * carries on with its local record, and a probe resynchronises every store once Redis answers again.
 */
import { Redis } from 'ioredis';
import { systemClock, type Clock } from '../breaker/clock.js';
import { initialRecord } from '../breaker/machine.js';
import type { BreakerRecord, BreakerStore } from '../breaker/types.js';
import { decodeRecord, encodeRecord, sameRecord } from './redis-record.js';
import { DEFAULT_STATE_BUDGET_MS, DEFAULT_STATE_TTL_MS, parseStateUrl, validateStateName } from './redis-settings.js';

export type StateStoreStatus = 'ok' | 'degraded';

export interface StateStoreStatusEvent {
  type: 'state_store';
  status: StateStoreStatus;
  /** Why the store degraded (absent on recovery). */
  reason?: string;
}

export interface RedisStateOptions {
  /** `redis://[user:password@]host[:port][/db]` (or `rediss://`). */
  url: string;
  /** The deployment: replicas with the same namespace share their circuits. */
  namespace: string;
  /** Longest wait on Redis on any call path. Default 50 ms. */
  budgetMs?: number;
  /** Longest wait for the first connection at start-up, before running degraded. Default 1000 ms. */
  connectTimeoutMs?: number;
  /** Keys expire this long after their last write, so abandoned namespaces do not accumulate. Default 24 h. */
  ttlMs?: number;
  /** How often a degraded state store tries Redis again. Default 250 ms. */
  probeIntervalMs?: number;
  clock?: Clock;
}

/** A `BreakerStore` whose record is shared through Redis. */
export interface RedisBreakerStore extends BreakerStore {
  readonly key: string;
  status(): StateStoreStatus;
}

/**
 * Compare-and-set on the stored version. A missing key accepts any expected version, so the first
 * writer after an expiry or a Redis restart seeds it. Returns {1} on success, {0, stored} on conflict.
 */
const COMPARE_AND_SET_LUA = `
local stored = redis.call('HMGET', KEYS[1], 'v', 'r')
local version = tonumber(stored[1])
if version ~= nil and version ~= tonumber(ARGV[1]) then
  return {0, stored[2] or false, stored[1]}
end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'r', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PUBLISH', KEYS[1], ARGV[3])
return {1}
`;

type CasReply = [1] | [0, string | null, string];

interface CasClient {
  shieldCompareAndSet(key: string, expected: number, next: number, record: string, ttlMs: number): Promise<CasReply>;
}

const MISSED_BUDGET: unique symbol = Symbol('missed budget');

/** Conflicting writes in one resynchronisation before the stored record is simply adopted. */
const MAX_RESYNC_WRITES = 5;

export class RedisState {
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  private readonly stores = new Map<string, SharedStore>();
  private readonly statusListeners = new Set<(event: StateStoreStatusEvent) => void>();
  private readonly budgetMs: number;
  private readonly ttlMs: number;
  private readonly probeIntervalMs: number;
  private readonly connectTimeoutMs: number;
  private readonly clock: Clock;
  private degradedReason: string | undefined = 'not connected yet';
  private recovering = false;
  /** Counts degradations, so a recovery that raced with a new one does not report `ok`. */
  private degradations = 0;
  private probe: { cancel(): void } | undefined;
  private closed = false;

  private constructor(readonly namespace: string, options: RedisStateOptions) {
    this.budgetMs = options.budgetMs ?? DEFAULT_STATE_BUDGET_MS;
    this.ttlMs = options.ttlMs ?? DEFAULT_STATE_TTL_MS;
    this.probeIntervalMs = options.probeIntervalMs ?? 250;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 1000;
    this.clock = options.clock ?? systemClock;
    const connection = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResubscribe: false,
      connectTimeout: this.connectTimeoutMs,
      retryStrategy: (attempt: number) => Math.min(50 * attempt, 1000),
    };
    this.commands = new Redis(options.url, { ...connection, connectionName: `shield:${namespace}` });
    this.subscriber = new Redis(options.url, { ...connection, connectionName: `shield:${namespace}:sub` });
    this.commands.defineCommand('shieldCompareAndSet', { numberOfKeys: 1, lua: COMPARE_AND_SET_LUA });
    for (const client of [this.commands, this.subscriber]) {
      // ioredis reports connection errors as events; the close that follows is what degrades the store.
      client.on('error', () => {});
      client.on('close', () => this.degrade('connection to Redis lost'));
      client.on('ready', () => void this.recover());
    }
    this.subscriber.on('message', (channel: string, message: string) => this.stores.get(channel)?.receive(message));
  }

  /**
   * Connects both connections (waiting at most `connectTimeoutMs`). Redis being unreachable is not an
   * error: the state starts degraded and keeps trying. A malformed URL or namespace throws.
   */
  static async connect(options: RedisStateOptions): Promise<RedisState> {
    parseStateUrl(options.url);
    validateStateName('namespace', options.namespace);
    const state = new RedisState(options.namespace, options);
    await state.withinBudget(
      Promise.all([state.commands.connect(), state.subscriber.connect()]).catch(() => undefined),
      state.connectTimeoutMs,
    );
    return state;
  }

  status(): StateStoreStatus {
    return this.degradedReason === undefined ? 'ok' : 'degraded';
  }

  /** Status changes (degraded with a reason, ok on recovery); returns an unsubscribe function. */
  onStatus(listener: (event: StateStoreStatusEvent) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /**
   * The store for one upstream's circuit, loaded from Redis so a replica started later sees the shared
   * state at once. Start-up is no call path: the load may take up to `connectTimeoutMs`.
   */
  async store(upstream: string, initial: BreakerRecord = initialRecord()): Promise<RedisBreakerStore> {
    validateStateName('upstream', upstream);
    const key = `shield:${this.namespace}:${upstream}`;
    if (this.stores.has(key)) throw new Error(`a state store for upstream '${upstream}' already exists`);
    const store = new SharedStore(this, key, initial);
    this.stores.set(key, store);
    if (this.status() === 'degraded') {
      await this.recover();
      return store;
    }
    const subscribed = await this.withinBudget(this.subscriber.subscribe(key), this.connectTimeoutMs);
    if (subscribed === MISSED_BUDGET || !(await store.resync(this.connectTimeoutMs))) {
      this.degrade('Redis did not answer in time while loading a circuit');
    }
    return store;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.probe?.cancel();
    for (const store of this.stores.values()) store.detach();
    this.stores.clear();
    this.commands.disconnect();
    this.subscriber.disconnect();
  }

  /** @internal Runs a Redis command, settling with MISSED_BUDGET after `ms` or when it fails. */
  async withinBudget<T>(command: Promise<T>, ms = this.budgetMs): Promise<T | typeof MISSED_BUDGET> {
    let timer: { cancel(): void } | undefined;
    const missed = new Promise<typeof MISSED_BUDGET>((resolve) => {
      // Timers run before I/O in each turn of the event loop: after a long blocking task the timer
      // would fire ahead of a reply that is already waiting. setImmediate lets that reply in first,
      // so a busy process is not mistaken for a slow Redis.
      timer = this.clock.setTimer(ms, () => setImmediate(() => resolve(MISSED_BUDGET)));
    });
    try {
      return await Promise.race([command.catch((): typeof MISSED_BUDGET => MISSED_BUDGET), missed]);
    } finally {
      timer?.cancel();
    }
  }

  /** @internal */
  compareAndSet(key: string, expected: number, next: BreakerRecord): Promise<CasReply | typeof MISSED_BUDGET> {
    const client = this.commands as unknown as CasClient;
    return this.withinBudget(client.shieldCompareAndSet(key, expected, next.version, encodeRecord(next), this.ttlMs));
  }

  /** @internal */
  load(key: string, budgetMs = this.budgetMs): Promise<(string | null)[] | typeof MISSED_BUDGET> {
    return this.withinBudget(this.commands.hmget(key, 'v', 'r'), budgetMs);
  }

  /** @internal Called when Redis missed a budget or a connection dropped. */
  degrade(reason: string): void {
    if (this.closed) return;
    const wasOk = this.degradedReason === undefined;
    this.degradedReason = reason;
    this.degradations++;
    this.scheduleProbe();
    if (wasOk) this.emit({ type: 'state_store', status: 'degraded', reason });
  }

  private scheduleProbe(): void {
    if (this.probe || this.closed) return;
    this.probe = this.clock.setTimer(this.probeIntervalMs, () => {
      this.probe = undefined;
      void this.recover().then(() => {
        if (this.degradedReason !== undefined) this.scheduleProbe();
      });
    });
  }

  /** Resynchronises every store once both connections are up; only then is the state `ok`. */
  private async recover(): Promise<void> {
    if (this.recovering || this.closed || this.degradedReason === undefined) return;
    const connected = this.commands.status === 'ready' && this.subscriber.status === 'ready';
    // Replies still owed from before mean Redis is still stalled; asking again would only pile up commands.
    const stalled = this.commands.commandQueue.length > 0 || this.subscriber.commandQueue.length > 0;
    if (!connected || stalled) {
      this.scheduleProbe();
      return;
    }
    this.recovering = true;
    const degradations = this.degradations;
    try {
      const keys = [...this.stores.keys()];
      // Subscribe before reading, so no change published after the read can be missed.
      if (keys.length > 0) {
        const subscribed = await this.withinBudget(this.subscriber.subscribe(...keys), this.budgetMs * 4);
        if (subscribed === MISSED_BUDGET) return this.degrade('Redis did not answer SUBSCRIBE in time');
      }
      const results = await Promise.all([...this.stores.values()].map((store) => store.resync()));
      if (results.some((ok) => !ok)) return this.degrade('Redis did not answer in time while resynchronising');
      if (this.degradations === degradations && !this.closed) {
        this.degradedReason = undefined;
        this.emit({ type: 'state_store', status: 'ok' });
      }
    } finally {
      this.recovering = false;
    }
  }

  private emit(event: StateStoreStatusEvent): void {
    for (const listener of this.statusListeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not disturb the store.
      }
    }
  }
}

class SharedStore implements RedisBreakerStore {
  private local: BreakerRecord;
  /** The local record changed while Redis could not be told. */
  private changedWhileDegraded = false;
  /** While resynchronising, published records are held here instead of applied. */
  private heldDuringResync: BreakerRecord | undefined;
  private resyncing = false;
  private readonly listeners = new Set<(record: BreakerRecord) => void>();
  /** Records this process is writing right now. */
  private readonly committing = new Set<BreakerRecord>();

  constructor(
    private readonly state: RedisState,
    readonly key: string,
    private readonly initial: BreakerRecord,
  ) {
    this.local = initial;
  }

  read(): BreakerRecord {
    return this.local;
  }

  status(): StateStoreStatus {
    return this.state.status();
  }

  subscribe(listener: (record: BreakerRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  compareAndSet(expected: BreakerRecord, next: BreakerRecord): BreakerRecord | Promise<BreakerRecord> {
    if (this.state.status() === 'degraded') return this.compareAndSetLocally(expected, next);
    return this.compareAndSetShared(expected, next);
  }

  async close(): Promise<void> {
    this.detach();
  }

  private compareAndSetLocally(expected: BreakerRecord, next: BreakerRecord): BreakerRecord {
    if (this.local.version !== expected.version) return this.local;
    this.local = next;
    this.changedWhileDegraded = true;
    return next;
  }

  private async compareAndSetShared(expected: BreakerRecord, next: BreakerRecord): Promise<BreakerRecord> {
    this.committing.add(next);
    let reply: Awaited<ReturnType<RedisState['compareAndSet']>>;
    try {
      reply = await this.state.compareAndSet(this.key, expected.version, next);
    } finally {
      this.committing.delete(next);
    }
    if (reply === MISSED_BUDGET) {
      this.state.degrade('Redis did not answer a compare-and-set in time');
      return this.compareAndSetLocally(expected, next);
    }
    if (reply[0] === 1) {
      if (next.version > this.local.version) this.local = next;
      return next;
    }
    const stored = this.decodeStored(reply[2], reply[1]);
    // A published record may already be newer than the conflict reply; a stored version below the
    // expected one means Redis holds another lineage (restarted, reseeded), and Redis wins.
    if (stored.version >= this.local.version || stored.version < expected.version) this.local = stored;
    return stored;
  }

  /** @internal A record published by some replica (this one included). */
  receive(message: string): void {
    const record = decodeRecord(message);
    if (record === undefined) return;
    if (this.resyncing) {
      if (this.heldDuringResync === undefined || record.version > this.heldDuringResync.version) {
        this.heldDuringResync = record;
      }
      return;
    }
    if (record.version <= this.local.version) return;
    // Our own write, published before its reply reached us: the reply will deliver it as ours, not as
    // a change from another replica.
    for (const pending of this.committing) if (sameRecord(pending, record)) return;
    this.adopt(record);
  }

  /**
   * @internal Brings the local record and Redis together after a disconnection: Redis wins, except
   * that an empty Redis (restarted, expired) is seeded from the local record, and a trip that
   * happened here while Redis was away is pushed over a closed shared circuit. Replicas resync at
   * the same time, so a write that loses is decided again on the record that won.
   */
  async resync(budgetMs?: number): Promise<boolean> {
    this.resyncing = true;
    this.heldDuringResync = undefined;
    try {
      const loaded = await this.state.load(this.key, budgetMs);
      if (loaded === MISSED_BUDGET) return false;
      const [version = null, text = null] = loaded;
      let stored = version === null ? undefined : this.decodeStored(version, text);
      let target: BreakerRecord | undefined;
      for (let attempt = 0; attempt < MAX_RESYNC_WRITES && target === undefined; attempt++) {
        const wanted = this.resyncWrite(stored);
        if (wanted === undefined) {
          target = stored ?? this.local;
          break;
        }
        const reply = await this.state.compareAndSet(this.key, stored?.version ?? this.local.version, wanted);
        if (reply === MISSED_BUDGET) return false;
        if (reply[0] === 1) target = wanted;
        else stored = this.decodeStored(reply[2], reply[1]);
      }
      target ??= stored ?? this.local;
      // Set by receive() while the awaits above were pending.
      const held = this.heldDuringResync as BreakerRecord | undefined;
      if (held !== undefined && held.version > target.version) target = held;
      this.changedWhileDegraded = false;
      if (!sameRecord(target, this.local)) this.adopt(target);
      return true;
    } finally {
      this.resyncing = false;
      this.heldDuringResync = undefined;
    }
  }

  /** @internal */
  detach(): void {
    this.listeners.clear();
  }

  /** What resynchronising must write over `stored` (undefined: the key is empty), or undefined to adopt it. */
  private resyncWrite(stored: BreakerRecord | undefined): BreakerRecord | undefined {
    if (stored === undefined) {
      return this.local.version === this.initial.version ? undefined : { ...this.local, version: this.local.version + 1 };
    }
    if (this.changedWhileDegraded && this.local.state === 'open' && stored.state === 'closed') {
      return { ...this.local, version: stored.version + 1 };
    }
    return undefined;
  }

  /** An undecodable stored value reads as a fresh circuit at the stored version, so the next write replaces it. */
  private decodeStored(version: string | null, text: string | null): BreakerRecord {
    return decodeRecord(text) ?? { ...this.initial, version: Number(version) || 0 };
  }

  private adopt(record: BreakerRecord): void {
    this.local = record;
    for (const listener of this.listeners) {
      try {
        listener(record);
      } catch {
        // The core's listener must not break the subscription for the others.
      }
    }
  }
}
