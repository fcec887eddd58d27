import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CircuitTimeline } from './timeline.js';

test('the timeline keeps changes only, and the first state seen holds from the start', () => {
  const timeline = new CircuitTimeline(1_000);
  timeline.observe('closed', 1_010);
  timeline.observe('closed', 1_050);
  timeline.observe('open', 1_100);
  timeline.observe('half_open', 1_700);
  timeline.observe('closed', 1_720);
  assert.deepEqual(timeline.segments(800), [
    { start_ms: 0, end_ms: 100, state: 'closed' },
    { start_ms: 100, end_ms: 700, state: 'open' },
    { start_ms: 700, end_ms: 720, state: 'half_open' },
    { start_ms: 720, end_ms: 800, state: 'closed' },
  ]);
});

test('unknown (health unreadable) is a segment of its own', () => {
  const timeline = new CircuitTimeline(0);
  timeline.observe('closed', 0);
  timeline.observe('unknown', 10);
  timeline.observe('closed', 20);
  assert.deepEqual(
    timeline.segments(30).map((s) => s.state),
    ['closed', 'unknown', 'closed'],
  );
});
