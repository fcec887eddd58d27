import type { Command } from 'commander';
import { UsageError } from './exit-codes.js';

export function register(program: Command): void {
  program
    .command('verify')
    .description('(not built yet)')
    .action(() => {
      throw new UsageError('shield verify is not built yet');
    });
}
