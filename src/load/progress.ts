/**
 * Live progress of a load run: on a terminal one line redrawn in place; otherwise a plain line every
 * few seconds, so CI logs stay readable.
 */
import { formatDuration } from '../common/duration.js';
import type { LoadProgress } from './options.js';

/** Plain (non-terminal) output prints one line per this many progress ticks. */
const PLAIN_EVERY = 5;

export function formatProgress(progress: LoadProgress): string {
  const circuit = Object.entries(progress.circuit)
    .map(([name, state]) => `${name} ${state}`)
    .join(', ');
  return [
    `${formatDuration(progress.elapsedMs)}${progress.phase === 'measure' ? '' : ` (${progress.phase})`}`,
    `${progress.calls} calls`,
    `${progress.rate.toFixed(0)}/s`,
    `p95 ${progress.p95Us > 0 ? formatDuration(progress.p95Us / 1000) : '-'}`,
    `${progress.failures} failed`,
    `${progress.inFlight} in flight`,
    ...(circuit ? [`circuit: ${circuit}`] : []),
    `cpu ${progress.cpuPercent.toFixed(0)}%`,
  ].join(' · ');
}

export interface ProgressPrinter {
  update(progress: LoadProgress): void;
  /** Clears the live line before the summary is printed. */
  done(): void;
}

export function createProgressPrinter(stream: NodeJS.WriteStream): ProgressPrinter {
  if (stream.isTTY) {
    let drawn = false;
    return {
      update(progress) {
        const line = formatProgress(progress).slice(0, Math.max(20, (stream.columns ?? 120) - 1));
        stream.write(`\r\x1b[2K${line}`);
        drawn = true;
      },
      done() {
        if (drawn) stream.write('\r\x1b[2K');
      },
    };
  }
  let ticks = 0;
  return {
    update(progress) {
      if (ticks++ % PLAIN_EVERY === PLAIN_EVERY - 1) stream.write(`${formatProgress(progress)}\n`);
    },
    done() {},
  };
}
