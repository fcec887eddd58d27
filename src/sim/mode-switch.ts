/**
 * Applies mode changes one at a time (the control API may receive several at once) and carries out
 * the port side of a switch: `down` shuts the data port, every other mode makes sure it listens.
 */
import type { ChaosState } from './chaos-state.js';
import type { SwitchableListener } from './listener.js';
import type { Mode } from './mode.js';

export class ModeSwitch {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly state: ChaosState,
    private readonly listener: SwitchableListener,
    private readonly onChange?: (mode: Mode) => void,
  ) {}

  /** `notify: false` for the initial mode, which the caller announces itself. */
  apply(mode: Mode, notify = true): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.closed) throw new Error('already closed');
      if (mode.mode === 'down') {
        this.state.set(mode);
        this.state.recordFault('down', await this.listener.shut());
      } else {
        await this.listener.open();
        this.state.set(mode);
      }
      if (notify) this.onChange?.(mode);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Waits for pending switches, then refuses further ones. */
  async close(): Promise<void> {
    await this.queue;
    this.closed = true;
  }
}
