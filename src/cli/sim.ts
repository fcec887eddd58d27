import type { Command } from 'commander';
import { UsageError } from './exit-codes.js';

export function register(program: Command): void {
  program
    .command('sim')
    .description('(not built yet)')
    .action(() => {
      throw new UsageError('shield sim is not built yet');
    });
}
