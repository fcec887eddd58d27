import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTextTable } from './text-table.js';

test('columns fit the width, long cells wrap onto more lines, fixed columns keep their size', () => {
  const text = renderTextTable(
    ['Check', 'Observed', 'Result'],
    [
      ['First 5 requests fail with orchestrator_error', '5 × orchestrator_error (connection_refused)', 'PASS'],
      ['short', 'x', 'FAIL'],
    ],
    { width: 60, shares: [1, 1, 0] },
  );
  const lines = text.split('\n');
  assert.ok(lines.every((line) => line.length <= 60), text);
  assert.match(lines[0]!, /^ {2}Check\s+Observed\s+Result$/);
  assert.match(lines[1]!, /^ {2}─+ {2}─+ {2}─{6}$/);
  assert.ok(lines.length > 4, 'the long row wrapped');
  assert.match(text, /PASS/);
  assert.match(lines.at(-1)!, /short\s+x\s+FAIL$/);
});

test('a word longer than its column is cut, not lost', () => {
  const text = renderTextTable(['A', 'B'], [['abcdefghijklmnopqrstuvwxyz', 'ok']], { width: 24, shares: [1, 0] });
  assert.equal(text.replace(/[\s─AB]|ok/g, ''), 'abcdefghijklmnopqrstuvwxyz');
});

test('decorate sees each first-line cell, e.g. to colour the verdict', () => {
  const text = renderTextTable(['Name', 'Result'], [['a', 'FAIL']], {
    width: 40,
    shares: [1, 0],
    decorate: (column, cell, padded) => (column === 1 ? `<${cell}>` : padded),
  });
  assert.match(text, /<FAIL>/);
});
