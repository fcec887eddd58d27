import type { Command } from 'commander';
import { addConnectionOptions, addServerOption, connectionSettings, type ConnectionFlags } from './connection-options.js';

interface ToolsFlags extends ConnectionFlags {
  json?: boolean;
}

export function register(program: Command): void {
  const command = program.command('tools').description('list the tools of an MCP server with their argument schemas');
  addServerOption(command).option('--json', 'print the tools as JSON (name, description, inputSchema)');
  addConnectionOptions(command).action(async (flags: ToolsFlags) => {
    const { connectForCommand } = await import('../client/command-connect.js');
    const { formatTools } = await import('../client/tools-format.js');
    const client = await connectForCommand(flags.server, {
      ...(await connectionSettings(flags)),
      clientInfo: { name: 'shield-tools', version: '1' },
    });
    try {
      const tools = await client.listTools({ timeoutMs: 30_000 });
      console.log(flags.json ? JSON.stringify(tools, null, 2) : formatTools(tools));
    } finally {
      await client.close();
    }
  });
}
