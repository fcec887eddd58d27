import type { Command } from 'commander';
import { UnreachableError, UsageError } from './exit-codes.js';
import { durationOption, serverOption } from './options.js';

interface HealthFlags {
  server: URL;
  breaker?: string;
  watch?: number;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('health')
    .description("show a server's circuit breakers from /health; --watch follows them")
    .requiredOption('--server <host:port|url>', 'the server: host:port or a URL on its host (its /health is read)', serverOption)
    .option('--breaker <name>', 'only this upstream (the plan\'s .circuit_breakers.orchestrator)')
    .option('--watch <duration>', 'poll at this interval until Ctrl-C: redrawn on a terminal, a line per transition otherwise', durationOption)
    .option('--json', 'print the JSON (with --breaker, just that breaker)')
    .addHelpText('after', '\nExamples:\n  shield health --server hx-mcp1-server:8081 --breaker orchestrator --json\n  shield health --server 127.0.0.1:8081 --watch 5s')
    .action(async (flags: HealthFlags) => {
      if (flags.watch !== undefined && flags.watch <= 0) throw new UsageError('--watch: expected a positive interval, like 5s');
      const { fetchHealth, HealthError } = await import('../client/health.js');
      const { formatHealthTable, describeTransitions } = await import('../client/health-format.js');
      type Health = Awaited<ReturnType<typeof fetchHealth>>;

      const select = (health: Health): Health['circuit_breakers'] => {
        if (flags.breaker === undefined) return health.circuit_breakers;
        const snapshot = health.circuit_breakers[flags.breaker];
        if (!snapshot) {
          const names = Object.keys(health.circuit_breakers);
          throw new UsageError(`--breaker ${flags.breaker}: no such circuit breaker; the server lists ${names.length ? names.join(', ') : 'none'}`);
        }
        return { [flags.breaker]: snapshot };
      };
      const read = async (): Promise<Health> => {
        try {
          return await fetchHealth(flags.server);
        } catch (error) {
          if (error instanceof HealthError && error.kind === 'unreachable') throw new UnreachableError(error.message);
          throw error;
        }
      };
      const render = (health: Health): string => {
        const breakers = select(health);
        if (!flags.json) return formatHealthTable(health, breakers);
        return JSON.stringify(flags.breaker === undefined ? health : breakers[flags.breaker], null, 2);
      };

      if (flags.watch === undefined) {
        console.log(render(await read()));
        return;
      }
      const interval = flags.watch;
      const tty = process.stdout.isTTY && !flags.json;
      let stopped = false;
      let wake: (() => void) | undefined;
      let timer: NodeJS.Timeout | undefined;
      const onInterrupt = (): void => {
        stopped = true;
        clearTimeout(timer);
        wake?.();
      };
      process.on('SIGINT', onInterrupt);
      let previous: Health['circuit_breakers'] | undefined;
      let lastError: string | undefined;
      let drawnLines = 0;
      try {
        while (!stopped) {
          let text: string;
          try {
            const health = await read();
            const breakers = select(health);
            lastError = undefined;
            if (tty) {
              text = `${render(health)}\n(every ${interval / 1000}s, Ctrl-C to stop)`;
            } else {
              const transitions = describeTransitions(previous, breakers, new Date());
              text = flags.json ? (transitions.length > 0 ? JSON.stringify(breakers) : '') : transitions.join('\n');
            }
            previous = breakers;
          } catch (error) {
            if (error instanceof UsageError) throw error;
            const message = `${new Date().toISOString()} ${(error as Error).message}`;
            text = tty || (error as Error).message !== lastError ? message : '';
            lastError = (error as Error).message;
            previous = undefined;
          }
          if (tty) {
            if (drawnLines > 0) process.stdout.write(`\x1b[${drawnLines}F\x1b[J`);
            process.stdout.write(`${text}\n`);
            drawnLines = text.split('\n').length;
          } else if (text) {
            console.log(text);
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, interval);
          });
        }
      } finally {
        process.off('SIGINT', onInterrupt);
      }
    });
}
