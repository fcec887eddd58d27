import type { Command } from 'commander';
import { UsageError } from './exit-codes.js';

export function register(program: Command): void {
  program
    .command('load')
    .description('(not built yet)')
    .action(() => {
      throw new UsageError('shield load is not built yet');
    });
}
