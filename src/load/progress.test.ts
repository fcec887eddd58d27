import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createProgressPrinter, formatProgress } from './progress.js';
import type { LoadProgress } from './options.js';

const progress: LoadProgress = {
  elapsedMs: 12_000,
  phase: 'measure',
  calls: 1200,
  failures: 3,
  rate: 99.6,
  p95Us: 41_500,
  inFlight: 10,
  circuit: { orchestrator: 'closed' },
  cpuPercent: 12,
};

function stream(isTTY: boolean): NodeJS.WriteStream & { written: string[] } {
  const written: string[] = [];
  return { isTTY, columns: 200, written, write: (text: string) => written.push(text) > 0 } as unknown as NodeJS.WriteStream & { written: string[] };
}

it('formats calls, rate, p95, failures, in flight, circuit and cpu', () => {
  assert.equal(formatProgress(progress), '12.0s · 1200 calls · 100/s · p95 42ms · 3 failed · 10 in flight · circuit: orchestrator closed · cpu 12%');
  assert.match(formatProgress({ ...progress, phase: 'warmup', p95Us: 0, circuit: {} }), /^12\.0s \(warmup\) · .* p95 - · .*cpu 12%$/);
});

it('redraws one line in place on a terminal and clears it at the end', () => {
  const tty = stream(true);
  const printer = createProgressPrinter(tty);
  printer.update(progress);
  printer.update({ ...progress, calls: 1300 });
  printer.done();
  assert.equal(tty.written.length, 3);
  assert.ok(tty.written.every((text) => text.startsWith('\r\x1b[2K') && !text.includes('\n')));
  assert.match(tty.written[1] ?? '', /1300 calls/);
});

it('prints a plain line every fifth update when not a terminal', () => {
  const plain = stream(false);
  const printer = createProgressPrinter(plain);
  for (let i = 0; i < 10; i++) printer.update({ ...progress, calls: i });
  printer.done();
  assert.deepEqual(plain.written.map((line) => /(\d+) calls/.exec(line)?.[1]), ['4', '9']);
  assert.ok(plain.written.every((line) => line.endsWith('\n') && !line.includes('\x1b')));
});
