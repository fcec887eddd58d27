/**
 * The `shield` command. Each subcommand lives in its own file and registers itself here; a command
 * loads its feature module only when it runs, so `shield --help` stays fast.
 */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { EXIT, UnreachableError, UsageError } from './exit-codes.js';
import { COMMANDS } from './commands.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('shield')
    .description('Shield: an MCP gateway with bulkhead, circuit breaker and timeout, and the kit that proves it.')
    .version(version, '-V, --version')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) })
    .showSuggestionAfterError(true);
  for (const register of COMMANDS) register(program);
  return program;
}

/** Maps what a command threw to one line on stderr and the documented exit code. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
      return EXIT.ok;
    }
    return EXIT.usage;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof UnreachableError) {
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT.unreachable;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message}\n`);
  if (process.env.SHIELD_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  return EXIT.failed;
}

/** A reader that goes away (`shield load --help | head`) ends the output, not the command. */
function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  ignoreClosedPipes();
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    return exitCodeFor(error);
  }
}
