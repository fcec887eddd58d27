import type { Command } from 'commander';
import { UsageError } from './exit-codes.js';

export function register(program: Command): void {
  program
    .command('chaos-proxy')
    .description('(not built yet)')
    .action(() => {
      throw new UsageError('shield chaos-proxy is not built yet');
    });
}
