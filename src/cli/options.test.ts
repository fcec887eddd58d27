import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { durationOption, fractionOption, jsonOption, portOption, positiveIntOption } from './options.js';

test('option parsers accept good values', () => {
  assert.equal(durationOption('1m30s'), 90_000);
  assert.equal(durationOption('60'), 60_000);
  assert.equal(positiveIntOption('5'), 5);
  assert.equal(fractionOption('50%'), 0.5);
  assert.equal(fractionOption('0.25'), 0.25);
  assert.equal(portOption('0'), 0);
  assert.deepEqual(jsonOption('{"query":"test"}'), { query: 'test' });
});

test('option parsers reject bad values with what was expected', () => {
  assert.throws(() => durationOption('soon'), (e: unknown) => e instanceof InvalidArgumentError && /duration like 250ms/.test(e.message));
  assert.throws(() => positiveIntOption('0'), /positive integer/);
  assert.throws(() => positiveIntOption('2.5'), /positive integer/);
  assert.throws(() => fractionOption('150%'), /fraction from 0 to 1/);
  assert.throws(() => fractionOption('-0.1'), /fraction from 0 to 1/);
  assert.throws(() => portOption('70000'), /port from 0 to 65535/);
  assert.throws(() => jsonOption('{query:'), /expected JSON/);
});
