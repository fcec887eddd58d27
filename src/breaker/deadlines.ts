/**
 * Many deadlines, one timer. A per-call timer costs a timer-heap insert and removal on every call;
 * here a call's deadline is a node in a list kept in deadline order (appended at the tail, since one
 * timeout is added to a clock that never goes back), and a single clock timer is armed for the head.
 * Finishing a call unlinks its node in O(1); the timer re-arms itself for the next head when it fires.
 */
import type { Clock, TimerHandle } from './clock.js';
import { MAX_TIMER_MS } from './clock.js';

export interface Deadline {
  readonly at: number;
  prev: Deadline | null;
  next: Deadline | null;
  expire: (() => void) | null;
}

export class Deadlines {
  private head: Deadline | null = null;
  private tail: Deadline | null = null;
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;

  constructor(private readonly clock: Clock) {}

  add(at: number, expire: () => void): Deadline {
    const node: Deadline = { at, prev: null, next: null, expire };
    let after = this.tail;
    while (after !== null && after.at > at) after = after.prev;
    node.prev = after;
    node.next = after === null ? this.head : after.next;
    if (node.next) node.next.prev = node;
    else this.tail = node;
    if (after) after.next = node;
    else this.head = node;
    if (at < this.timerAt) this.arm(at);
    return node;
  }

  remove(node: Deadline): void {
    if (node.expire === null) return;
    node.expire = null;
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
  }

  private arm(at: number): void {
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.clock.setTimer(Math.min(Math.max(0, at - this.clock.now()), MAX_TIMER_MS), () => this.fire());
  }

  private fire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = this.clock.now();
    while (this.head !== null && this.head.at <= now) {
      const node = this.head;
      const expire = node.expire;
      this.remove(node);
      expire?.();
    }
    if (this.head !== null) this.arm(this.head.at);
  }
}
