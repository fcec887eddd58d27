import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const cli = new URL('./main.ts', import.meta.url).pathname;

function shield(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8' });
}

test('--version prints the package version and exits 0', () => {
  const result = shield('--version');
  assert.equal(result.status, 0);
  assert.match(result.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('--help lists the commands and exits 0', () => {
  const result = shield('--help');
  assert.equal(result.status, 0);
  for (const name of ['verify', 'serve', 'invoke', 'load', 'sim', 'chaos-proxy', 'chaos']) {
    assert.match(result.stdout, new RegExp(`\\b${name}\\b`));
  }
});

test('an unknown command or flag is one clear line and exit 2', () => {
  const unknownCommand = shield('frobnicate');
  assert.equal(unknownCommand.status, 2);
  assert.match(unknownCommand.stderr, /unknown command 'frobnicate'/);
  const unknownFlag = shield('--frobnicate');
  assert.equal(unknownFlag.status, 2);
  assert.match(unknownFlag.stderr, /unknown option '--frobnicate'/);
  assert.doesNotMatch(unknownFlag.stderr, /\n\s+at /, 'no stack trace');
});

test('a closed pipe on stdout ends the output quietly, without a stack trace', () => {
  const result = spawnSync('bash', ['-c', `${process.execPath} --import tsx ${cli} load --help | head -1`], { encoding: 'utf8' });
  assert.equal(result.stdout.split('\n').length, 2, 'one line read');
  assert.doesNotMatch(result.stderr, /EPIPE|\n\s+at /);
});
