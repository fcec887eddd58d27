/** The flags every command that speaks MCP to a server shares: which server, and how to reach it. */
import { Option, type Command } from 'commander';
import type { ProtocolChoice } from '../client/index.js';
import { collect, serverOption } from './options.js';

export interface ConnectionFlags {
  server: URL;
  token?: string;
  header: string[];
  protocol: ProtocolChoice;
}

export function addServerOption(command: Command): Command {
  return command.requiredOption(
    '--server <host:port|url>',
    'the MCP server: host:port (meaning http://host:port/mcp) or a full URL',
    serverOption,
  );
}

export function addConnectionOptions(command: Command): Command {
  return command
    .addOption(new Option('--token <token>', 'bearer token for the server').env('SHIELD_TOKEN'))
    .option('--header <name: value>', 'extra request header (repeatable)', collect, [])
    .addOption(
      new Option('--protocol <era>', 'MCP revision: auto tries 2026-07-28 then falls back to 2025')
        .choices(['auto', 'modern', 'legacy'])
        .default('auto'),
    );
}

/** The client settings those flags mean. */
export async function connectionSettings(flags: ConnectionFlags) {
  const { parseHeaderLines } = await import('../client/headers.js');
  return {
    headers: parseHeaderLines(flags.header),
    protocol: flags.protocol,
    ...(flags.token ? { token: flags.token } : {}),
  };
}
