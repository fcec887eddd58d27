import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../cli/exit-codes.js';
import { modeFromSpec, modeFromWords } from './chaos-args.js';

test('command-line words become mode objects', () => {
  assert.deepEqual(modeFromWords('down', undefined), { mode: 'down' });
  assert.deepEqual(modeFromWords('up', undefined), { mode: 'healthy' });
  assert.deepEqual(modeFromWords('slow', '30s'), { mode: 'slow', delay_ms: 30_000 });
  assert.deepEqual(modeFromWords('error', undefined), { mode: 'error', status: 500 });
  assert.deepEqual(modeFromWords('error', '503'), { mode: 'error', status: 503 });
  assert.deepEqual(modeFromWords('flaky', '50%', { fault: 'slow', delay: 2_000, seed: 7, per: 'connection' }), {
    mode: 'flaky',
    rate: 0.5,
    fault: 'slow',
    status: 500,
    delay_ms: 2_000,
    seed: 7,
    per: 'connection',
  });
  assert.deepEqual(modeFromSpec('slow 300ms'), { mode: 'slow', delay_ms: 300 });
  assert.deepEqual(modeFromSpec('flaky 0.1', { seed: 3 }), {
    mode: 'flaky',
    rate: 0.1,
    fault: 'error',
    status: 500,
    seed: 3,
    per: 'request',
  });
  assert.deepEqual(modeFromSpec('{"mode":"error","status":502}'), { mode: 'error', status: 502 });
});

test('mistakes are UsageErrors naming the word or flag and what was expected', () => {
  const cases: Array<[() => unknown, RegExp]> = [
    [() => modeFromWords('sideways', undefined), /unknown mode 'sideways'; expected one of healthy, up, down/],
    [() => modeFromWords('down', 'now'), /mode down takes no value \(got 'now'\)/],
    [() => modeFromWords('slow', undefined), /mode slow needs a delay/],
    [() => modeFromWords('slow', 'soon'), /mode slow: 'soon' is not a duration; expected a duration like/],
    [() => modeFromWords('error', 'bad'), /mode error: 'bad' is not an HTTP error status; expected a number from 400 to 599/],
    [() => modeFromWords('error', '302'), /mode error: '302' is not an HTTP error status/],
    [() => modeFromWords('flaky', undefined), /mode flaky needs a rate/],
    [() => modeFromWords('flaky', '1.5'), /mode flaky: rate '1\.5' is outside 0\.\.1/],
    [() => modeFromWords('flaky', 'half'), /mode flaky: rate 'half' is not a number/],
    [() => modeFromWords('flaky', '0.5', { fault: 'explode' }), /--fault: unknown fault 'explode'; expected one of hang, slow, error, reset, garbage/],
    [() => modeFromWords('flaky', '0.5', { fault: 'slow' }), /--fault slow needs --delay/],
    [() => modeFromWords('flaky', '0.5', { per: 'day' }), /--per: 'day' is not one of request, connection/],
    [() => modeFromWords('flaky', '0.5', { status: 200 }), /mode flaky: status: /],
    [() => modeFromWords('hang', undefined, { fault: 'hang' }), /--fault only applies to mode flaky/],
    [() => modeFromSpec('{"mode":'), /--mode: invalid JSON/],
    [() => modeFromSpec('{"mode":"nope"}'), /--mode: mode: unknown mode "nope"/],
    [() => modeFromSpec('slow 1s extra'), /too many words/],
  ];
  for (const [run, message] of cases) {
    assert.throws(run, (error: Error) => {
      assert.ok(error instanceof UsageError, `${error.name}: ${error.message}`);
      assert.match(error.message, message);
      return true;
    });
  }
});
