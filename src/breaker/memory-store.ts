/**
 * The in-process BreakerStore. Several guards may share one to act like replicas sharing a Redis
 * store: each hears the others' transitions through `subscribe`. Notifications are delivered on a
 * microtask so a writer has recorded its own commit before its own listener hears of it.
 */
import { initialRecord } from './machine.js';
import type { BreakerRecord, BreakerStore } from './types.js';

export class MemoryStore implements BreakerStore {
  private record: BreakerRecord;
  private readonly listeners = new Set<(record: BreakerRecord) => void>();

  constructor(initial: BreakerRecord = initialRecord()) {
    this.record = initial;
  }

  read(): BreakerRecord {
    return this.record;
  }

  compareAndSet(expected: BreakerRecord, next: BreakerRecord): BreakerRecord {
    if (this.record.version !== expected.version) return this.record;
    this.record = next;
    if (this.listeners.size > 0) queueMicrotask(() => this.listeners.forEach((listener) => listener(next)));
    return next;
  }

  subscribe(listener: (record: BreakerRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export function createMemoryStore(initial?: BreakerRecord): MemoryStore {
  return new MemoryStore(initial);
}
