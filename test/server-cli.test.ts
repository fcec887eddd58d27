/**
 * `shield serve` as a user runs it: bad flags and broken config files exit 2 with one line naming
 * the problem; a running server prints where it listens, logs JSON lines, and exits 0 on SIGTERM.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startUpstream } from './server-helpers.js';
import { runShield } from './helpers/shield-cli.js';


describe('shield serve (CLI)', () => {
  it('a bad flag value: exit 2 naming the flag', async () => {
    const run = await runShield(['serve', '--fail-max', '0']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /option '--fail-max <n>' argument '0' is invalid\. expected a positive integer/);
  });

  it('--window without --failure-rate: exit 2', async () => {
    const run = await runShield(['serve', '--window', '10']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^error: --window needs --failure-rate/m);
  });

  it('a broken config file: exit 2 with the file and the path of the field, no stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shield-cli-'));
    const file = join(dir, 'shield.yaml');
    writeFileSync(file, 'upstreams:\n  orchestrator:\n    url: http://127.0.0.1:9621\n    breaker:\n      fail_max: -1\n');
    const run = await runShield(['serve', '--config', file]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim(), `error: ${file}: upstreams.orchestrator.breaker.fail_max: expected a positive integer`);
  });

  it('a port in use: exit 2 naming the address', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as AddressInfo).port;
      const run = await runShield(['serve', '--port', String(port)]);
      assert.equal(run.code, 2);
      assert.match(run.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use`));
    } finally {
      blocker.close();
    }
  });

  it('serves, prints where it listens, logs JSON lines, and exits 0 on SIGTERM', async () => {
    const upstream = await startUpstream('ok');
    let health: Promise<unknown> | undefined;
    try {
      const run = await runShield(['serve', '--port', '0', '--upstream', `orchestrator=${upstream.url}`, '--timeout', '2s', '--fail-max', '3'], {
        onStderr(text, kill) {
          const match = /shield serving MCP on (http:\/\/\S+)\/mcp/.exec(text);
          if (match && !health) {
            health = fetch(`${match[1]}/health`)
              .then((response) => response.json())
              .finally(kill);
          }
        },
      });
      assert.equal(run.code, 0, run.stderr);
      const body = (await health) as { circuit_breakers: { orchestrator: { fail_max: number; state: string } } };
      assert.equal(body.circuit_breakers.orchestrator.fail_max, 3);
      assert.equal(body.circuit_breakers.orchestrator.state, 'closed');
      const events = run.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { event?: string }).event);
      assert.deepEqual(events, ['listening', 'shutdown', 'stopped']);
    } finally {
      await upstream.close();
    }
  });
});
