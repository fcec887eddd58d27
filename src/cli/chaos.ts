import type { Command } from 'commander';
import { UsageError } from './exit-codes.js';

export function register(program: Command): void {
  program
    .command('chaos')
    .description('(not built yet)')
    .action(() => {
      throw new UsageError('shield chaos is not built yet');
    });
}
