/**
 * Connecting on behalf of a command (`shield invoke/tools/load`, `shield verify`): connection
 * failures become the CLI's errors, so they print as one line with the documented exit code.
 */
import { UnreachableError, UsageError } from '../cli/exit-codes.js';
import { connect, McpConnectError, type ConnectOptions, type McpClient } from './mcp-client.js';

/** Like `connect()`, but an unreachable or non-MCP target is an UnreachableError (exit 3) and a refused token a UsageError (exit 2). */
export async function connectForCommand(url: URL, options: ConnectOptions = {}): Promise<McpClient> {
  try {
    return await connect(url, options);
  } catch (error) {
    if (error instanceof McpConnectError) {
      if (error.kind === 'auth') throw new UsageError(error.message);
      throw new UnreachableError(error.message);
    }
    throw error;
  }
}

/** Throws a UsageError naming the tools the server offers when `tool` is not one of them. */
export async function requireTool(client: McpClient, tool: string): Promise<void> {
  const tools = await client.listTools({ timeoutMs: 10_000 });
  if (tools.some((candidate) => candidate.name === tool)) return;
  const names = tools.map((candidate) => candidate.name).sort();
  throw new UsageError(
    `unknown tool '${tool}': ${client.url.href} offers ${names.length === 0 ? 'no tools' : names.join(', ')}`,
  );
}
