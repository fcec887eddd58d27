/**
 * 2025-era MCP sessions: created by `initialize`, ended by DELETE, expired when idle, capped in
 * number (the least recently used one is evicted). A Map keeps them in recency order: touching a
 * session moves it to the end, so the oldest idle session is always the first entry.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../breaker/clock.js';
import { systemClock } from '../breaker/clock.js';

export interface Session {
  readonly id: string;
  readonly protocolVersion: string;
  lastSeen: number;
}

export interface SessionStoreOptions {
  idleTimeoutMs: number;
  maxSessions: number;
  clock?: Clock;
  onEnd?: (session: Session, why: 'deleted' | 'expired' | 'evicted' | 'closed') => void;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly clock: Clock;
  private sweepTimer: TimerHandle | undefined;

  constructor(private readonly options: SessionStoreOptions) {
    this.clock = options.clock ?? systemClock;
  }

  get size(): number {
    return this.sessions.size;
  }

  create(protocolVersion: string): Session {
    while (this.sessions.size >= this.options.maxSessions) {
      const oldest = this.sessions.values().next().value as Session;
      this.end(oldest, 'evicted');
    }
    const session: Session = { id: randomUUID(), protocolVersion, lastSeen: this.clock.now() };
    this.sessions.set(session.id, session);
    this.scheduleSweep();
    return session;
  }

  /** The live session with this id, marked as just used; undefined when unknown or expired. */
  touch(id: string): Session | undefined {
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const now = this.clock.now();
    if (now - session.lastSeen >= this.options.idleTimeoutMs) {
      this.end(session, 'expired');
      return undefined;
    }
    session.lastSeen = now;
    this.sessions.delete(id);
    this.sessions.set(id, session);
    return session;
  }

  delete(id: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    this.end(session, 'deleted');
    return true;
  }

  /** Ends every session idle for the timeout or longer; recency order lets it stop at the first fresh one. */
  sweep(): void {
    const cutoff = this.clock.now() - this.options.idleTimeoutMs;
    for (const session of this.sessions.values()) {
      if (session.lastSeen > cutoff) break;
      this.end(session, 'expired');
    }
  }

  close(): void {
    this.sweepTimer?.cancel();
    this.sweepTimer = undefined;
    for (const session of [...this.sessions.values()]) this.end(session, 'closed');
  }

  private end(session: Session, why: 'deleted' | 'expired' | 'evicted' | 'closed'): void {
    this.sessions.delete(session.id);
    this.options.onEnd?.(session, why);
  }

  private scheduleSweep(): void {
    if (this.sweepTimer) return;
    const interval = Math.max(10, Math.min(this.options.idleTimeoutMs / 4, 60_000));
    this.sweepTimer = this.clock.setTimer(interval, () => {
      this.sweepTimer = undefined;
      this.sweep();
      if (this.sessions.size > 0) this.scheduleSweep();
    });
  }
}
