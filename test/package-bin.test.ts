import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string; bin: Record<string, string> };

describe('the package bin (what `npx shield` runs)', () => {
  it('is built executable, so npx can run it even from a cache made for an earlier build at the same path', async () => {
    const bin = `${root}${pkg.bin.shield}`;
    assert.ok((statSync(bin).mode & 0o111) !== 0, `${pkg.bin.shield} is not executable: run npm run build`);
    const { stdout } = await promisify(execFile)(bin, ['--version']);
    assert.equal(stdout.trim(), pkg.version);
  });
});
