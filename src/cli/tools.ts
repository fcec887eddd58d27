import { Option, type Command } from 'commander';
import { collect, serverOption } from './options.js';

interface ToolsFlags {
  server: URL;
  json?: boolean;
  token?: string;
  header: string[];
  protocol: 'auto' | 'modern' | 'legacy';
}

export function register(program: Command): void {
  program
    .command('tools')
    .description('list the tools of an MCP server with their argument schemas')
    .requiredOption('--server <host:port|url>', 'the MCP server: host:port (meaning http://host:port/mcp) or a full URL', serverOption)
    .option('--json', 'print the tools as JSON (name, description, inputSchema)')
    .addOption(new Option('--token <token>', 'bearer token for the server').env('SHIELD_TOKEN'))
    .option('--header <name: value>', 'extra request header (repeatable)', collect, [])
    .addOption(new Option('--protocol <era>', 'MCP revision: auto tries 2026-07-28 then falls back to 2025').choices(['auto', 'modern', 'legacy']).default('auto'))
    .action(async (flags: ToolsFlags) => {
      const { connectForCommand } = await import('../client/command-connect.js');
      const { parseHeaderLines } = await import('../client/headers.js');
      const { formatTools } = await import('../client/tools-format.js');
      const client = await connectForCommand(flags.server, {
        headers: parseHeaderLines(flags.header),
        protocol: flags.protocol,
        clientInfo: { name: 'shield-tools', version: '1' },
        ...(flags.token ? { token: flags.token } : {}),
      });
      try {
        const tools = await client.listTools({ timeoutMs: 30_000 });
        console.log(flags.json ? JSON.stringify(tools, null, 2) : formatTools(tools));
      } finally {
        await client.close();
      }
    });
}
