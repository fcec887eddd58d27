import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from './duration.js';

test('parses the forms the CLI documents', () => {
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('1m'), 60_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('500us'), 0.5);
});

test('a bare number means seconds, as the plan writes --duration 60', () => {
  assert.equal(parseDuration('60'), 60_000);
  assert.equal(parseDuration('0.25'), 250);
  assert.equal(parseDuration(2), 2000);
});

test('rejects what is not a duration', () => {
  for (const bad of ['', 'abc', '10x', '1m30', 's', '-5s', '5 s', '30s!']) {
    assert.equal(parseDuration(bad), undefined, bad);
  }
  assert.equal(parseDuration(Number.NaN), undefined);
});

test('formats durations compactly', () => {
  assert.equal(formatDuration(0.35), '350µs');
  assert.equal(formatDuration(3.456), '3.46ms');
  assert.equal(formatDuration(120), '120ms');
  assert.equal(formatDuration(1500), '1.50s');
  assert.equal(formatDuration(125_000), '2m05s');
});
