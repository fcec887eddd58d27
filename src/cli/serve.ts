import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { UsageError } from './exit-codes.js';
import { parseStateUrl } from '../server/redis-settings.js';
import {
  collect,
  durationOption,
  fractionOption,
  nonNegativeIntOption,
  portOption,
  positiveIntOption,
} from './options.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** `NAME=URL`, repeatable, into a map. */
function upstreamOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const match = /^([A-Za-z0-9_.-]+)=(https?:\/\/.+)$/.exec(value);
  if (!match) throw new InvalidArgumentError('expected NAME=URL, like orchestrator=http://127.0.0.1:9621');
  return { ...previous, [match[1]!]: match[2]! };
}

interface ServeFlags {
  config?: string;
  upstream?: Record<string, string>;
  timeout?: number;
  failMax?: number;
  resetTimeout?: number;
  failureRate?: number;
  window?: number;
  maxConcurrent?: number;
  maxQueue?: number;
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  host?: string;
  port?: number;
  authToken?: string[];
  breaker: boolean;
  sim?: boolean;
  state?: string;
  stateNamespace?: string;
}

/** `redis://host:6379/0`; the checks live with the settings so the config file gets the same message. */
function stateUrlOption(value: string): string {
  try {
    return parseStateUrl(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the Shield MCP server: tools whose upstream calls go through a bulkhead, a circuit breaker and a timeout')
    .option('--config <file>', 'YAML or JSON config file (see examples/shield.yaml)')
    .option('--upstream <name=url>', 'an upstream and its URL (repeatable); default orchestrator=http://127.0.0.1:9621', upstreamOption)
    .option('--timeout <duration>', 'per-call upstream deadline (default 30s)', durationOption)
    .option('--fail-max <n>', 'consecutive failures that open the circuit (default 5)', positiveIntOption)
    .option('--reset-timeout <duration>', 'how long the circuit stays open before a trial call (default 60s)', durationOption)
    .option('--failure-rate <fraction>', 'also open when this share of the last --window calls failed (50% or 0.5)', fractionOption)
    .option('--window <n>', 'calls in the failure-rate window (default 10)', positiveIntOption)
    .option('--max-concurrent <n>', 'upstream calls in flight at once (default unbounded)', positiveIntOption)
    .option('--max-queue <n>', 'callers that may wait for a slot (default 0: reject at once with overloaded)', nonNegativeIntOption)
    .option('--no-breaker', 'no circuit breaker at all (the load test plan\'s baseline)')
    .addOption(new Option('--log-level <level>', 'log level (default info)').choices(LOG_LEVELS))
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 8081; 0: any free port)', portOption)
    .option('--auth-token <token>', 'bearer token required on /mcp (repeatable; also SHIELD_AUTH_TOKENS)', collect)
    .option('--sim', 'also start the simulated orchestrator in-process and use it as the orchestrator upstream')
    .option('--state <url>', 'share breaker state with other replicas through Redis, e.g. redis://127.0.0.1:6379/0', stateUrlOption)
    .option('--state-namespace <name>', 'replicas with the same namespace share their circuits (default: the config file name, or shield)')
    .action(async (flags: ServeFlags) => {
      if (flags.window !== undefined && flags.failureRate === undefined) {
        throw new UsageError('--window needs --failure-rate (e.g. --failure-rate 50% --window 10)');
      }
      const { serve, ListenError } = await import('../server/run.js');
      const { ConfigError } = await import('../server/config.js');
      try {
        await serve({
          ...(flags.config === undefined ? {} : { file: flags.config }),
          sim: flags.sim === true,
          print: (line) => process.stderr.write(`${line}\n`),
          flags: {
            ...(flags.upstream ? { upstreams: flags.upstream } : {}),
            ...(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout }),
            ...(flags.failMax === undefined ? {} : { failMax: flags.failMax }),
            ...(flags.resetTimeout === undefined ? {} : { resetTimeoutMs: flags.resetTimeout }),
            ...(flags.failureRate === undefined ? {} : { failureRate: flags.failureRate }),
            ...(flags.window === undefined ? {} : { window: flags.window }),
            ...(flags.maxConcurrent === undefined ? {} : { maxConcurrent: flags.maxConcurrent }),
            ...(flags.maxQueue === undefined ? {} : { maxQueue: flags.maxQueue }),
            ...(flags.logLevel === undefined ? {} : { logLevel: flags.logLevel }),
            ...(flags.host === undefined ? {} : { host: flags.host }),
            ...(flags.port === undefined ? {} : { port: flags.port }),
            ...(flags.authToken ? { authTokens: flags.authToken } : {}),
            ...(flags.breaker ? {} : { noBreaker: true }),
            ...(flags.state === undefined ? {} : { stateUrl: flags.state }),
            ...(flags.stateNamespace === undefined ? {} : { stateNamespace: flags.stateNamespace }),
          },
        });
      } catch (error) {
        if (error instanceof ConfigError || error instanceof ListenError) throw new UsageError(error.message);
        throw error;
      }
    });
}
