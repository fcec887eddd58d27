/**
 * Runs a call with its own deadline and an AbortSignal that aborts on that deadline (so the caller's
 * socket is closed) or when the caller's own signal aborts. On the deadline the call fails at once
 * with OrchestratorError('timeout'), even if `fn` ignores the signal; on the caller's abort it fails
 * at once with the caller's reason. A call that has finished is never aborted.
 *
 * Cost: Node builds an AbortSignal in about 3 µs (it changes an EventTarget's prototype), ten times a
 * whole guarded call. Calls without a caller signal whose deadlines fall in the same millisecond
 * therefore share one signal: it aborts only on that millisecond's deadline, and only if one of its
 * calls is still running then, which means all of that millisecond's still-running calls are due. A
 * `fn` that leaves its abort listener attached after it finishes (fetch and undici remove theirs)
 * could hear a later call's timeout.
 *
 * Calls with a caller signal get a signal of their own, aborted by their own deadline or by their
 * caller. Its controller is reused (`ControllerPool`): when a call finishes before either, its
 * controller was never aborted, and once no abort listener is left on its signal nothing can tell
 * it from a new one, so the next such call takes it. The listeners are counted
 * (`getEventListeners`) when the next call takes it, not when the call finishes: undici's
 * `request()` removes its listener when the response body closes, a tick after the body's text
 * resolved; fetch keeps one until the request is collected (that controller is dropped). A `fn`
 * that keeps its signal after finishing and reads `signal.aborted` later could see a later call's
 * abort.
 *
 * A caller that lends its own controller (`executeWith`) needs neither: the deadline aborts that
 * controller, and the caller's abort reaches `fn` directly.
 */
import { setMaxListeners } from 'node:events';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { ControllerPool } from './controller-pool.js';
import type { Deadline } from './deadlines.js';
import { Deadlines } from './deadlines.js';
import { OrchestratorError } from './errors.js';

export interface TimeoutOptions {
  name: string;
  /** 0 or undefined: no deadline (the caller's signal still cancels). */
  timeoutMs?: number;
  clock?: Clock;
}

/** The calls due in one millisecond share this controller. */
interface SharedDeadline {
  at: number;
  controller: AbortController;
}

export class Timeout {
  readonly name: string;
  readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly deadlines: Deadlines;
  private shared: SharedDeadline | null = null;
  /** Controllers of calls that finished un-aborted: see the module comment. */
  private readonly controllers = new ControllerPool(ownController);

  constructor(options: TimeoutOptions) {
    this.name = options.name;
    this.timeoutMs = options.timeoutMs ?? 0;
    if (!(Number.isFinite(this.timeoutMs) && this.timeoutMs >= 0)) {
      throw new RangeError(`timeoutMs must be a number of milliseconds >= 0, got ${options.timeoutMs}`);
    }
    this.clock = options.clock ?? systemClock;
    this.deadlines = new Deadlines(this.clock);
  }

  execute<T>(fn: (signal: AbortSignal) => Promise<T>, callerSignal?: AbortSignal): Promise<T> {
    if (callerSignal === undefined && this.timeoutMs > 0) return this.executeShared(fn);
    return this.executeOwn(fn, callerSignal);
  }

  private executeShared<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const at = Math.ceil(this.clock.now() + this.timeoutMs);
    let shared = this.shared;
    if (shared === null || shared.at !== at) {
      shared = this.shared = { at, controller: new AbortController() };
      // Many calls each add (and remove) a listener on a shared signal: not a leak.
      setMaxListeners(0, shared.controller.signal);
    }
    const { controller } = shared;
    return new Promise<T>((resolve, reject) => {
      const deadline = this.deadlines.add(at, () => {
        const error = this.timeoutError();
        if (!controller.signal.aborted) controller.abort(error);
        reject(error);
      });
      settle(this.deadlines, deadline, invoke(fn, controller.signal), resolve, reject);
    });
  }

  private executeOwn<T>(fn: (signal: AbortSignal) => Promise<T>, callerSignal: AbortSignal | undefined): Promise<T> {
    const controller = this.controllers.take();
    return new Promise<T>((resolve, reject) => {
      const expire = (error: unknown): void => {
        callerSignal?.removeEventListener('abort', onCallerAbort);
        controller.abort(error);
        reject(error);
      };
      const deadline = this.deadlines.add(this.timeoutMs > 0 ? this.clock.now() + this.timeoutMs : Infinity, () => expire(this.timeoutError()));
      const onCallerAbort = (): void => {
        if (deadline.expire === null) return;
        this.deadlines.remove(deadline);
        expire(callerSignal?.reason);
      };
      callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
      const done = (): void => {
        callerSignal?.removeEventListener('abort', onCallerAbort);
        this.controllers.give(controller);
      };
      settle(this.deadlines, deadline, invoke(fn, controller.signal), resolve, reject, done);
    });
  }

  /** The call runs on the caller's controller, which the deadline aborts; the caller's own abort ends it through `fn`. */
  executeWith<T>(fn: (signal: AbortSignal) => Promise<T>, controller: AbortController): Promise<T> {
    if (this.timeoutMs === 0) return invoke(fn, controller.signal);
    return new Promise<T>((resolve, reject) => {
      const deadline = this.deadlines.add(this.clock.now() + this.timeoutMs, () => {
        const error = this.timeoutError();
        if (!controller.signal.aborted) controller.abort(error);
        reject(error);
      });
      settle(this.deadlines, deadline, invoke(fn, controller.signal), resolve, reject);
    });
  }

  private timeoutError(): OrchestratorError {
    return new OrchestratorError('timeout', `'${this.name}' did not answer within ${this.timeoutMs} ms`, { upstream: this.name });
  }
}

function ownController(): AbortController {
  const controller = new AbortController();
  // Each call's fn (undici) adds and removes a listener on it: not a leak.
  setMaxListeners(0, controller.signal);
  return controller;
}

function invoke<T>(fn: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
  try {
    return fn(signal);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Settles with the call's own outcome unless its deadline (or the caller) settled it first. */
function settle<T>(
  deadlines: Deadlines,
  deadline: Deadline,
  call: Promise<T>,
  resolve: (value: T) => void,
  reject: (error: unknown) => void,
  done?: () => void,
): void {
  call.then(
    (value) => {
      if (deadline.expire === null) return;
      deadlines.remove(deadline);
      done?.();
      resolve(value);
    },
    (error: unknown) => {
      if (deadline.expire === null) return;
      deadlines.remove(deadline);
      done?.();
      reject(error);
    },
  );
}
