import { Option, type Command } from 'commander';
import { UnreachableError, UsageError } from './exit-codes.js';
import { collect, durationOption, jsonOption, serverOption } from './options.js';

interface InvokeFlags {
  server: URL;
  tool: string;
  args: unknown;
  timeout: number;
  json?: boolean;
  token?: string;
  header: string[];
  protocol: 'auto' | 'modern' | 'legacy';
}

export function register(program: Command): void {
  program
    .command('invoke')
    .description('call one MCP tool and print its result, or its error type and reason, and the time taken')
    .requiredOption('--server <host:port|url>', 'the MCP server: host:port (meaning http://host:port/mcp) or a full URL', serverOption)
    .requiredOption('--tool <name>', 'the tool to call')
    .option('--args <json>', 'the tool arguments, a JSON object', jsonOption, {})
    .addOption(new Option('--timeout <duration>', 'give up on the call after this long (sends notifications/cancelled)').argParser(durationOption).default(60_000, '60s'))
    .option('--json', 'print the raw tool result as JSON')
    .addOption(new Option('--token <token>', 'bearer token for the server').env('SHIELD_TOKEN'))
    .option('--header <name: value>', 'extra request header (repeatable)', collect, [])
    .addOption(new Option('--protocol <era>', 'MCP revision: auto tries 2026-07-28 then falls back to 2025').choices(['auto', 'modern', 'legacy']).default('auto'))
    .addHelpText(
      'after',
      '\nExample:\n  shield invoke --server hx-mcp1-server:8081 --tool lightrag_query --args \'{"query": "test", "mode": "hybrid"}\'\n' +
        '\nExit codes: 0 success, 1 the tool call failed, 2 usage (bad flags, unknown tool), 3 server unreachable.',
    )
    .action(async (flags: InvokeFlags) => {
      if (typeof flags.args !== 'object' || flags.args === null || Array.isArray(flags.args)) {
        throw new UsageError(`--args: expected a JSON object, like '{"query": "test", "mode": "hybrid"}'`);
      }
      const { invokeTool, formatInvocation } = await import('../client/invoke.js');
      const { parseHeaderLines } = await import('../client/headers.js');
      const invocation = await invokeTool(flags.server, flags.tool, flags.args as Record<string, unknown>, {
        callTimeoutMs: flags.timeout,
        headers: parseHeaderLines(flags.header),
        protocol: flags.protocol,
        clientInfo: { name: 'shield-invoke', version: '1' },
        ...(flags.token ? { token: flags.token } : {}),
      });
      const { outcome } = invocation;
      if (outcome.outcome === 'transport_error') throw new UnreachableError(`${flags.server.href}: ${outcome.message}`);
      if (flags.json && outcome.result) {
        console.log(JSON.stringify(outcome.result, null, 2));
        process.stderr.write(`${formatInvocation(invocation).split('\n').at(-1)}\n`);
      } else {
        console.log(formatInvocation(invocation));
      }
      if (outcome.outcome !== 'success') process.exitCode = 1;
    });
}
