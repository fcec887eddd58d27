import type { Command } from 'commander';
import { UsageError } from './exit-codes.js';

export function register(program: Command): void {
  program
    .command('invoke')
    .description('(not built yet)')
    .action(() => {
      throw new UsageError('shield invoke is not built yet');
    });
}
