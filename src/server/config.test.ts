import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, resolveConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'shield-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const EXAMPLE = new URL('../../examples/shield.yaml', import.meta.url).pathname;

describe('config defaults', () => {
  it('with nothing given: orchestrator at :9621, lightrag_query, the plan defaults in milliseconds', () => {
    const config = resolveConfig({}, { env: {} });
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.server.port, 8081);
    assert.equal(config.server.sessionIdleTimeoutMs, 1_800_000);
    assert.equal(config.server.maxSessions, 10_000);
    assert.equal(config.server.shutdownGraceMs, 10_000);
    const upstream = config.upstreams.orchestrator!;
    assert.equal(upstream.url, 'http://127.0.0.1:9621');
    assert.equal(upstream.timeoutMs, 30_000);
    assert.equal(upstream.maxConcurrent, undefined);
    assert.equal(upstream.maxQueue, 0);
    assert.deepEqual(upstream.breaker, { failMax: 5, resetTimeoutMs: 60_000, halfOpenMaxCalls: 1, successThreshold: 1, countClientErrors: false });
    assert.deepEqual(Object.keys(config.tools), ['lightrag_query']);
    assert.equal(config.tools.lightrag_query!.path, '/query');
  });

  it('a partly given breaker keeps the other defaults in milliseconds', () => {
    const config = resolveConfig({ upstreams: { orchestrator: { url: 'http://h:1', breaker: { fail_max: 3 } } } }, { env: {} });
    assert.deepEqual(config.upstreams.orchestrator!.breaker, {
      failMax: 3,
      resetTimeoutMs: 60_000,
      halfOpenMaxCalls: 1,
      successThreshold: 1,
      countClientErrors: false,
    });
    assert.equal(config.upstreams.orchestrator!.timeoutMs, 30_000);
  });

  it('the example file loads and matches the defaults', async () => {
    const example = await loadConfig({ file: EXAMPLE, env: {} });
    const defaults = resolveConfig({}, { env: {} });
    assert.deepEqual(example.upstreams, defaults.upstreams);
    assert.deepEqual(example.server, defaults.server);
    assert.deepEqual(example.tools.lightrag_query!.inputSchema, defaults.tools.lightrag_query!.inputSchema);
  });

  it('the systemd unit runs serve with a config, stops with SIGTERM after the grace period, and logs as shield-mcp-server', async () => {
    const unit = readFileSync(new URL('../../examples/shield.service', import.meta.url), 'utf8');
    const setting = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(unit)?.[1];
    assert.match(setting('ExecStart') ?? '', /shield serve --config \/etc\/shield\/shield\.yaml$/);
    assert.equal(setting('KillSignal'), 'SIGTERM');
    assert.equal(setting('SyslogIdentifier'), 'shield-mcp-server');
    assert.equal(setting('RestartPreventExitStatus'), '2');
    const grace = (await loadConfig({ file: EXAMPLE, env: {} })).server.shutdownGraceMs;
    assert.ok(Number.parseInt(setting('TimeoutStopSec') ?? '0', 10) * 1000 > grace, 'systemd must wait longer than the grace period');
    for (const section of ['[Unit]', '[Service]', '[Install]']) assert.ok(unit.includes(section), section);
  });
});

describe('config sources', () => {
  it('substitutes ${ENV} (typed when it is the whole value) and ${ENV:-fallback}', () => {
    const config = resolveConfig(
      {
        upstreams: {
          orchestrator: { url: '${ORCH_URL}', api_key: '${KEY}', breaker: { fail_max: '${FAILS}' }, headers: { 'X-Tenant': 'team-${TEAM:-none}' } },
        },
      },
      { env: { ORCH_URL: 'http://orch:9621', KEY: 's3cret', FAILS: '7' } },
    );
    const upstream = config.upstreams.orchestrator!;
    assert.equal(upstream.url, 'http://orch:9621');
    assert.deepEqual(upstream.headers, { 'X-Tenant': 'team-none', 'X-API-Key': 's3cret' });
    assert.equal((upstream.breaker as { failMax: number }).failMax, 7);
  });

  it('takes tokens from SHIELD_AUTH_TOKENS and SHIELD_ADMIN_TOKEN', () => {
    const config = resolveConfig({}, { env: { SHIELD_AUTH_TOKENS: 'a, b,,c', SHIELD_ADMIN_TOKEN: 'adm' } });
    assert.deepEqual(config.server.authTokens, ['a', 'b', 'c']);
    assert.equal(config.server.adminToken, 'adm');
  });

  it('lays flags over the file: upstream URLs, guard settings for every upstream, server and log', () => {
    const config = resolveConfig(
      { upstreams: { orchestrator: { url: 'http://a:1' }, search: { url: 'http://b:2' } } },
      {
        env: {},
        flags: {
          upstreams: { search: 'http://c:3' },
          timeoutMs: 300,
          failMax: 2,
          resetTimeoutMs: 600,
          failureRate: 0.5,
          window: 10,
          maxConcurrent: 5,
          maxQueue: 1,
          logLevel: 'debug',
          port: 0,
          authTokens: ['tok'],
        },
      },
    );
    assert.equal(config.upstreams.search!.url, 'http://c:3');
    for (const upstream of Object.values(config.upstreams)) {
      assert.equal(upstream.timeoutMs, 300);
      assert.equal(upstream.maxConcurrent, 5);
      assert.equal(upstream.maxQueue, 1);
      assert.deepEqual(upstream.breaker, {
        failMax: 2,
        resetTimeoutMs: 600,
        halfOpenMaxCalls: 1,
        successThreshold: 1,
        countClientErrors: false,
        failureRate: { threshold: 0.5, window: 10 },
      });
    }
    assert.equal(config.log.level, 'debug');
    assert.equal(config.server.port, 0);
    assert.deepEqual(config.server.authTokens, ['tok']);
  });

  it('--no-breaker turns the breaker off', () => {
    assert.equal(resolveConfig({}, { env: {}, flags: { noBreaker: true } }).upstreams.orchestrator!.breaker, false);
  });
});

describe('broken config files: each error names the file and the path', () => {
  const broken: Array<[string, string, RegExp]> = [
    ['bad-type.yaml', 'upstreams:\n  orchestrator:\n    url: http://h:1\n    breaker:\n      fail_max: 0\n', /bad-type\.yaml: upstreams\.orchestrator\.breaker\.fail_max: expected a positive integer$/],
    ['not-int.yaml', 'upstreams:\n  orchestrator:\n    url: http://h:1\n    breaker:\n      fail_max: many\n', /upstreams\.orchestrator\.breaker\.fail_max: expected a positive integer$/],
    ['duration.yaml', 'upstreams:\n  orchestrator:\n    url: http://h:1\n    timeout: soon\n', /upstreams\.orchestrator\.timeout: expected a duration like 250ms, 30s/],
    ['url.yaml', 'upstreams:\n  orchestrator:\n    url: ftp://h\n', /upstreams\.orchestrator\.url: expected a URL like http:\/\/127\.0\.0\.1:9621$/],
    ['missing-url.yaml', 'upstreams:\n  orchestrator:\n    timeout: 5s\n', /upstreams\.orchestrator\.url: expected a URL/],
    ['typo.yaml', 'upstreams:\n  orchestrator:\n    url: http://h:1\n    breaker:\n      fial_max: 5\n', /upstreams\.orchestrator\.breaker\.fial_max: unknown setting$/],
    ['fraction.yaml', 'upstreams:\n  orchestrator:\n    url: http://h:1\n    breaker:\n      failure_rate: {threshold: 50, window: 10}\n', /breaker\.failure_rate\.threshold: expected a fraction from 0 to 1$/],
    ['level.yaml', 'log:\n  level: loud\n', /log\.level: expected one of fatal, error/],
    ['port.yaml', 'server:\n  port: 70000\n', /server\.port: expected a port from 0 to 65535$/],
    ['tool-upstream.yaml', 'tools:\n  t:\n    upstream: nowhere\n    path: /x\n    input_schema: {type: object}\n', /tools\.t\.upstream: unknown upstream 'nowhere'; expected one of orchestrator$/],
    ['tool-schema.yaml', 'tools:\n  t:\n    path: /x\n    input_schema: {type: string}\n', /tools\.t\.input_schema: expected a JSON schema with type: object$/],
    ['tool-path.yaml', 'tools:\n  t:\n    path: x\n    input_schema: {type: object}\n', /tools\.t\.path: expected a path starting with '\/'$/],
    ['no-orchestrator.yaml', 'upstreams:\n  search:\n    url: http://h:1\n', /no tools are configured and there is no upstream named 'orchestrator'/],
    ['env.yaml', 'upstreams:\n  orchestrator:\n    url: http://h:1\n    api_key: ${SHIELD_TEST_UNSET_VAR}\n', /upstreams\.orchestrator\.api_key: environment variable SHIELD_TEST_UNSET_VAR is not set$/],
    ['list.yaml', '- a\n- b\n', /\(root\): expected a mapping/],
    ['syntax.yaml', 'upstreams:\n  orchestrator:\n    url: [unclosed\n', /syntax\.yaml: invalid YAML at line \d+, column \d+/],
    ['syntax.json', '{"upstreams": {', /syntax\.json: invalid JSON/],
  ];
  for (const [name, text, expected] of broken) {
    it(name, async () => {
      const path = file(name, text);
      await assert.rejects(loadConfig({ file: path, env: {} }), (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.match(error.message, expected);
        assert.ok(error.message.startsWith(path), error.message);
        return true;
      });
    });
  }

  it('a missing file', async () => {
    await assert.rejects(loadConfig({ file: join(dir, 'absent.yaml') }), /absent\.yaml: cannot read the config file \(no such file\)/);
  });

  it('a JSON file with the same shape loads', async () => {
    const path = file('ok.json', JSON.stringify({ upstreams: { orchestrator: { url: 'http://h:1', timeout: 2 } } }));
    assert.equal((await loadConfig({ file: path, env: {} })).upstreams.orchestrator!.timeoutMs, 2000);
  });
});
