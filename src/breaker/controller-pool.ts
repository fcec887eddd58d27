/**
 * AbortControllers of finished calls, handed on to later calls: Node 20 builds an AbortSignal in
 * microseconds (it changes an EventTarget's prototype), and in a busy server it costs far more than
 * that (docs/benchmarks.md). Only an un-aborted controller comes back; one that still has an abort
 * listener when it is taken (its call's `fn` kept one) is dropped, since that listener could hear a
 * later call's abort.
 */
import { getEventListeners } from 'node:events';

/** Enough idle controllers for the calls in flight at once; beyond that a finished call's controller is dropped. */
const MAX_IDLE_CONTROLLERS = 1024;

export class ControllerPool {
  private readonly idle: AbortController[] = [];

  constructor(private readonly create: () => AbortController = () => new AbortController()) {}

  /** An idle controller that no earlier call still listens on, or a new one. */
  take(): AbortController {
    const controller = this.idle.pop();
    return controller !== undefined && getEventListeners(controller.signal, 'abort').length === 0 ? controller : this.create();
  }

  /** Hands back a finished call's controller; an aborted one is dropped. */
  give(controller: AbortController): void {
    if (!controller.signal.aborted && this.idle.length < MAX_IDLE_CONTROLLERS) this.idle.push(controller);
  }
}
