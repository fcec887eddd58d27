import { Option, type Command } from 'commander';
import { addConnectionOptions, addServerOption, connectionSettings, type ConnectionFlags } from './connection-options.js';
import { UnreachableError } from './exit-codes.js';
import { durationOption, jsonObjectOption } from './options.js';

interface InvokeFlags extends ConnectionFlags {
  tool: string;
  args: Record<string, unknown>;
  timeout: number;
  json?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('invoke')
    .description('call one MCP tool and print its result, or its error type and reason, and the time taken');
  addServerOption(command)
    .requiredOption('--tool <name>', 'the tool to call')
    .option('--args <json>', 'the tool arguments, a JSON object', jsonObjectOption, {})
    .addOption(new Option('--timeout <duration>', 'give up on the call after this long (sends notifications/cancelled)').argParser(durationOption).default(60_000, '60s'))
    .option('--json', 'print the raw tool result as JSON');
  addConnectionOptions(command)
    .addHelpText(
      'after',
      '\nExample:\n  shield invoke --server hx-mcp1-server:8081 --tool lightrag_query --args \'{"query": "test", "mode": "hybrid"}\'\n' +
        '\nExit codes: 0 success, 1 the tool call failed, 2 usage (bad flags, unknown tool), 3 server unreachable.',
    )
    .action(async (flags: InvokeFlags) => {
      const { invokeTool, formatInvocation } = await import('../client/invoke.js');
      const invocation = await invokeTool(flags.server, flags.tool, flags.args, {
        callTimeoutMs: flags.timeout,
        ...(await connectionSettings(flags)),
        clientInfo: { name: 'shield-invoke', version: '1' },
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
