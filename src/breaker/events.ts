/**
 * Guard events to listeners that can never break the call path: a listener that throws is reported
 * through `onListenerError` (default: a process warning) and the call goes on.
 */
import type { GuardEvent } from './types.js';

export type ListenerErrorHandler = (error: unknown, event: GuardEvent) => void;

const warnListenerError: ListenerErrorHandler = (error, event) => {
  const detail = error instanceof Error ? error.message : String(error);
  process.emitWarning(`a guard event listener threw on '${event.type}' for '${event.name}': ${detail}`, 'ShieldListenerWarning');
};

export class GuardEvents {
  private listeners: ((event: GuardEvent) => void)[] = [];

  constructor(private readonly onListenerError: ListenerErrorHandler = warnListenerError) {}

  /** Lets the hot path skip building events nobody listens to. */
  get active(): boolean {
    return this.listeners.length > 0;
  }

  on(listener: (event: GuardEvent) => void): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  emit(event: GuardEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        try {
          this.onListenerError(error, event);
        } catch {
          // The error handler failed as well; the call path still must not.
        }
      }
    }
  }
}
