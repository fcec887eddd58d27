import type { Command } from 'commander';
import { UsageError } from './exit-codes.js';

export function register(program: Command): void {
  program
    .command('health')
    .description('(not built yet)')
    .action(() => {
      throw new UsageError('shield health is not built yet');
    });
}
