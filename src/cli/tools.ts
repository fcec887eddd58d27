import type { Command } from 'commander';
import { UsageError } from './exit-codes.js';

export function register(program: Command): void {
  program
    .command('tools')
    .description('(not built yet)')
    .action(() => {
      throw new UsageError('shield tools is not built yet');
    });
}
